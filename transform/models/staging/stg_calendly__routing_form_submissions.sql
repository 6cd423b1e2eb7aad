{% set src = source('calendly', 'routing_form_submissions') %}
{% set cols = calendly_columns(src) %}
select
    uri as submission_uri,
    routing_form as routing_form_uri,
    submitter as submitter_uri,
    submitter_type,
    submitter is not null as is_booked,
    {{ calendly_json_text('result', 'type') }} as result_type,
    {{ calendly_json_text('result', 'value') }} as result_value,
    {{ calendly_tracking_columns('tracking') }},
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
