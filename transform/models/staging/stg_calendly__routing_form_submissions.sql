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
    {{ calendly_json_text('tracking', 'utm_campaign') }} as utm_campaign,
    {{ calendly_json_text('tracking', 'utm_source') }} as utm_source,
    {{ calendly_json_text('tracking', 'utm_medium') }} as utm_medium,
    {{ calendly_json_text('tracking', 'utm_content') }} as utm_content,
    {{ calendly_json_text('tracking', 'utm_term') }} as utm_term,
    {{ calendly_json_text('tracking', 'salesforce_uuid') }} as salesforce_uuid,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
