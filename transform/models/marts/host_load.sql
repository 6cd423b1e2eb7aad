-- Per host: meetings and hours they carry (active meetings only), plus canceled and
-- upcoming counts.
select
    host_uri,
    max(host_name) as host_name,
    max(host_email) as host_email,
    count(*) filter (where not is_canceled) as meetings,
    coalesce(sum(hours) filter (where not is_canceled), 0) as meeting_hours,
    count(*) filter (where is_canceled) as canceled_meetings,
    count(*) filter (where not is_canceled and not has_started) as upcoming_meetings
from {{ ref('host_meetings') }}
group by host_uri
