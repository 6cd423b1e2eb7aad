{% set src = source('calendly', 'organization_invitations') %}
{% set cols = calendly_columns(src) %}
select
    uri as invitation_uri,
    organization as organization_uri,
    email,
    status,
    "user" as user_uri,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at,
    {{ calendly_ts(cols, 'last_sent_at') }} as last_sent_at
from {{ src }}
{{ calendly_live(cols) }}
