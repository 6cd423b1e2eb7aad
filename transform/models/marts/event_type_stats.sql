-- Per event type (profile_name: the user or team that owns it): volume, cancellation,
-- reschedule and no-show rates, and lead time. Rates are fractions in [0, 1], NULL when
-- there is nothing to divide by.
with m as (
    select
        event_type_uri,
        count(*) as meetings,
        count(*) filter (where is_canceled) as canceled_meetings
    from {{ ref('meetings') }}
    group by event_type_uri
),

i as (
    select
        event_type_uri,
        max(event_type_name) as event_type_name,
        {{ calendly_invitee_outcome_counts() }}
    from {{ ref('invitee_outcomes') }}
    group by event_type_uri
)

select
    m.event_type_uri,
    coalesce(i.event_type_name, t.event_type_name) as event_type_name,
    t.profile_name,
    m.meetings,
    m.canceled_meetings,
    coalesce(i.invitees, 0) as invitees,
    coalesce(i.canceled_invitees, 0) as canceled_invitees,
    coalesce(i.rescheduled_invitees, 0) as rescheduled_invitees,
    coalesce(i.past_active_invitees, 0) as past_active_invitees,
    coalesce(i.no_shows, 0) as no_shows,
    {{ calendly_ratio('i.canceled_invitees', 'i.invitees') }} as cancellation_rate,
    {{ calendly_ratio('i.rescheduled_invitees', 'i.invitees') }} as reschedule_rate,
    {{ calendly_ratio('i.no_shows', 'i.past_active_invitees') }} as no_show_rate,
    i.avg_lead_time_hours,
    cast(i.median_lead_time_hours as double precision) as median_lead_time_hours
from m
left join i on i.event_type_uri is not distinct from m.event_type_uri
left join {{ ref('stg_calendly__event_types') }} as t on t.event_type_uri = m.event_type_uri
