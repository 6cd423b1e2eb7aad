-- One row per scheduled event (a "meeting"): its event type, first host, lead time and
-- invitee outcome counts.
with invitee_counts as (
    select
        event_uri,
        count(*) as invitees,
        count(*) filter (where status = 'active') as active_invitees,
        count(*) filter (where is_no_show) as no_shows
    from {{ ref('stg_calendly__event_invitees') }}
    group by event_uri
),

first_host as (
    select event_uri, host_uri, host_name
    from {{ ref('stg_calendly__event_hosts') }}
    where position = 0
)

select
    e.event_uri,
    e.event_name,
    e.event_type_uri,
    coalesce(t.event_type_name, e.event_name) as event_type_name,
    e.status,
    e.is_canceled,
    e.canceler_type,
    e.start_time,
    e.end_time,
    e.duration_minutes,
    e.created_at as booked_at,
    {{ calendly_hours_between('e.created_at', 'e.start_time') }} as lead_time_hours,
    {{ calendly_utc_day('e.start_time') }} as start_day,
    {{ calendly_utc_week('e.start_time') }} as start_week,
    e.start_time < {{ calendly_as_of() }} as has_started,
    e.location_type,
    h.host_uri,
    coalesce(u.user_name, h.host_name) as host_name,
    e.host_count,
    e.guest_count,
    coalesce(c.invitees, 0) as invitees,
    coalesce(c.active_invitees, 0) as active_invitees,
    coalesce(c.no_shows, 0) as no_shows
from {{ ref('stg_calendly__scheduled_events') }} as e
left join {{ ref('stg_calendly__event_types') }} as t on t.event_type_uri = e.event_type_uri
left join first_host as h on h.event_uri = e.event_uri
left join {{ ref('stg_calendly__users') }} as u on u.user_uri = h.host_uri
left join invitee_counts as c on c.event_uri = e.event_uri
