-- Bookings per UTM source, medium and campaign (all NULL: bookings without tracking),
-- with how they ended.
select
    utm_source,
    utm_medium,
    utm_campaign,
    count(*) as bookings,
    count(*) filter (where is_canceled) as canceled,
    count(*) filter (where is_rescheduled) as rescheduled,
    count(*) filter (where has_started and status = 'active' and is_no_show) as no_shows
from {{ ref('invitee_outcomes') }}
group by utm_source, utm_medium, utm_campaign
