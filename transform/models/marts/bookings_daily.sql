-- Meetings per UTC day of their start time and event type.
select
    start_day as day,
    event_type_uri,
    max(event_type_name) as event_type_name,
    count(*) as meetings,
    count(*) filter (where not is_canceled) as active_meetings,
    count(*) filter (where is_canceled) as canceled_meetings,
    cast(sum(invitees) as bigint) as invitees
from {{ ref('meetings') }}
group by start_day, event_type_uri
