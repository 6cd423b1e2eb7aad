{% set src = source('calendly', 'groups') %}
{% set cols = calendly_columns(src) %}
select
    uri as group_uri,
    name as group_name,
    organization as organization_uri,
    member_count,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
