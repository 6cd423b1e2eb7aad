{% set src = source('calendly', 'organization_memberships') %}
{% set cols = calendly_columns(src) %}
select
    uri as membership_uri,
    role,
    {{ calendly_json_text('"user"', 'uri') }} as user_uri,
    {{ calendly_json_text('"user"', 'name') }} as user_name,
    {{ calendly_json_text('"user"', 'email') }} as user_email,
    organization as organization_uri,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
