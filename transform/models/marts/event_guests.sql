-- One row per guest added to a meeting (event_guests), with the meeting it belongs to.
select
    g.event_uri,
    g.position as guest_position,
    g.guest_email,
    g.created_at as added_at,
    m.event_type_uri,
    m.event_type_name,
    m.status,
    m.start_time
from {{ ref('stg_calendly__event_guests') }} as g
inner join {{ ref('meetings') }} as m on m.event_uri = g.event_uri
