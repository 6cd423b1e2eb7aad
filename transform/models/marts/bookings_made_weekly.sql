-- Bookings made per ISO week (Monday, UTC) of the invitee's created_at (not the meeting's start) and
-- event type, with how many of them were later canceled or rescheduled.
select
    booked_week as week,
    event_type_uri,
    max(event_type_name) as event_type_name,
    count(*) as bookings,
    count(*) filter (where is_canceled) as canceled,
    count(*) filter (where is_rescheduled) as rescheduled
from {{ ref('invitee_outcomes') }}
group by booked_week, event_type_uri
