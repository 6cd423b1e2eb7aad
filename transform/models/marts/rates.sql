-- One row: organisation-wide cancellation, reschedule and no-show rates and lead time.
-- cancellation_rate counts invitees who canceled without rescheduling;
-- meeting_cancellation_rate counts canceled meetings (a reschedule cancels the old one);
-- no_show_rate divides no-shows by active invitees of meetings that have started.
with i as (
    select
        {{ calendly_invitee_outcome_counts() }}
    from {{ ref('invitee_outcomes') }}
),

m as (
    select count(*) as meetings, count(*) filter (where is_canceled) as canceled_meetings
    from {{ ref('meetings') }}
)

select
    m.meetings,
    m.canceled_meetings,
    {{ calendly_ratio('m.canceled_meetings', 'm.meetings') }} as meeting_cancellation_rate,
    i.invitees,
    i.canceled_invitees,
    i.rescheduled_invitees,
    i.past_active_invitees,
    i.no_shows,
    {{ calendly_ratio('i.canceled_invitees', 'i.invitees') }} as cancellation_rate,
    {{ calendly_ratio('i.rescheduled_invitees', 'i.invitees') }} as reschedule_rate,
    {{ calendly_ratio('i.no_shows', 'i.past_active_invitees') }} as no_show_rate,
    i.avg_lead_time_hours,
    cast(i.median_lead_time_hours as double precision) as median_lead_time_hours,
    {{ calendly_as_of() }} as as_of
from i
cross join m
