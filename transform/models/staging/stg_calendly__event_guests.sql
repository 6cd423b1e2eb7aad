-- One row per guest an invitee added to a scheduled event (event_guests unnested).
{% set src = source('calendly', 'scheduled_events') %}
{% set cols = calendly_columns(src) %}
select
    e.uri as event_uri,
    g.position,
    {{ calendly_json_text('g.element', 'email') }} as guest_email,
    cast({{ calendly_json_text('g.element', 'created_at') }} as timestamp with time zone) as created_at,
    cast({{ calendly_json_text('g.element', 'updated_at') }} as timestamp with time zone) as updated_at
from {{ src }} as e
cross join {{ calendly_json_elements('e.event_guests') }} as g
{{ calendly_live(cols, 'e') }}
