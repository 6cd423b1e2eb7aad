-- Per host and ISO week (Monday, UTC): active meetings and hours.
select
    host_uri,
    max(host_name) as host_name,
    week,
    count(*) as meetings,
    sum(hours) as meeting_hours
from {{ ref('host_meetings') }}
where not is_canceled
group by host_uri, week
