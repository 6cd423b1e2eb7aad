-- One row per answer an invitee gave to a custom question, with the booking it belongs to.
select
    a.invitee_uri,
    a.position,
    a.question,
    a.answer,
    o.event_uri,
    o.event_type_uri,
    o.event_type_name,
    o.status,
    o.booked_at,
    o.start_time
from {{ ref('stg_calendly__invitee_answers') }} as a
inner join {{ ref('invitee_outcomes') }} as o on o.invitee_uri = a.invitee_uri
