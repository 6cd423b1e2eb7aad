{% set src = source('calendly', 'webhook_subscriptions') %}
{% set cols = calendly_columns(src) %}
select
    uri as webhook_uri,
    callback_url,
    state,
    scope,
    organization as organization_uri,
    "user" as user_uri,
    "group" as group_uri,
    creator as creator_uri,
    {{ calendly_json_length('events') }} as event_count,
    {{ calendly_json('events') }} as events,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at,
    {{ calendly_ts(cols, 'retry_started_at') }} as retry_started_at
from {{ src }}
{{ calendly_live(cols) }}
