-- Meetings per ISO week (Monday, UTC) of their start time and event type.
select
    start_week as week,
    event_type_uri,
    max(event_type_name) as event_type_name,
    count(*) as meetings,
    count(*) filter (where not is_canceled) as active_meetings,
    count(*) filter (where is_canceled) as canceled_meetings,
    cast(sum(invitees) as bigint) as invitees
from {{ ref('meetings') }}
group by start_week, event_type_uri
