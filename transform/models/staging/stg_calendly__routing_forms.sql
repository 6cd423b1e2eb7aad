{% set src = source('calendly', 'routing_forms') %}
{% set cols = calendly_columns(src) %}
select
    uri as routing_form_uri,
    name as routing_form_name,
    organization as organization_uri,
    status,
    {{ calendly_json_length('questions') }} as question_count,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
