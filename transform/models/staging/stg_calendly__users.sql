{% set src = source('calendly', 'users') %}
{% set cols = calendly_columns(src) %}
select
    uri as user_uri,
    name as user_name,
    email as user_email,
    slug,
    scheduling_url,
    timezone,
    locale,
    time_notation,
    current_organization as organization_uri,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
