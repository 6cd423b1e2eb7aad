-- One row per (meeting, host): a collective or round-robin meeting counts once for each
-- user in its event_memberships. host_name falls back to the name the event carries for
-- hosts who are no longer members.
select
    h.host_uri,
    coalesce(u.user_name, h.host_name) as host_name,
    coalesce(u.user_email, h.host_email) as host_email,
    h.position as host_position,
    e.event_uri,
    e.is_canceled,
    e.start_time,
    {{ calendly_hours_between('e.start_time', 'e.end_time') }} as hours,
    {{ calendly_utc_week('e.start_time') }} as week,
    e.start_time < {{ calendly_as_of() }} as has_started
from {{ ref('stg_calendly__event_hosts') }} as h
inner join {{ ref('stg_calendly__scheduled_events') }} as e on e.event_uri = h.event_uri
left join {{ ref('stg_calendly__users') }} as u on u.user_uri = h.host_uri
