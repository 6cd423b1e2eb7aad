{% set src = source('calendly', 'activity_log_entries') %}
{% set cols = calendly_columns(src) %}
select
    uri as entry_uri,
    {{ calendly_ts(cols, 'occurred_at') }} as occurred_at,
    namespace,
    action,
    fully_qualified_name,
    organization as organization_uri,
    {{ calendly_json_text('actor', 'uri') }} as actor_uri,
    {{ calendly_json_text('actor', 'type') }} as actor_type,
    {{ calendly_json_text('actor', 'display_name') }} as actor_name,
    {{ calendly_json('details') }} as details
from {{ src }}
{{ calendly_live(cols) }}
