-- One row per host of a scheduled event (event_memberships unnested, in API order).
{% set src = source('calendly', 'scheduled_events') %}
{% set cols = calendly_columns(src) %}
select
    e.uri as event_uri,
    m.position,
    {{ calendly_json_text('m.element', 'user') }} as host_uri,
    {{ calendly_json_text('m.element', 'user_name') }} as host_name,
    {{ calendly_json_text('m.element', 'user_email') }} as host_email
from {{ src }} as e
cross join {{ calendly_json_elements('e.event_memberships') }} as m
{{ calendly_live(cols, 'e') }}
