-- One row: organization-wide cancellation, reschedule and no-show rates and lead time.
-- cancellation_rate counts invitees who canceled without rescheduling;
-- meeting_cancellation_rate counts canceled meetings (a reschedule cancels the old one);
-- no_show_rate divides no-shows by active invitees of meetings that have started.
-- requires: invitee_outcomes, meetings
CREATE OR REPLACE VIEW {target}.rates AS
WITH i AS (
    SELECT
        count(*) AS invitees,
        count(*) FILTER (WHERE is_canceled) AS canceled_invitees,
        count(*) FILTER (WHERE is_rescheduled) AS rescheduled_invitees,
        count(*) FILTER (WHERE has_started AND status = 'active') AS past_active_invitees,
        count(*) FILTER (WHERE has_started AND status = 'active' AND is_no_show) AS no_shows,
        avg(lead_time_hours) AS avg_lead_time_hours,
        median(lead_time_hours) AS median_lead_time_hours
    FROM {target}.invitee_outcomes
), m AS (
    SELECT count(*) AS meetings, count(*) FILTER (WHERE is_canceled) AS canceled_meetings
    FROM {target}.meetings
)
SELECT
    m.meetings,
    m.canceled_meetings,
    m.canceled_meetings / nullif(m.meetings, 0) AS meeting_cancellation_rate,
    i.invitees,
    i.canceled_invitees,
    i.rescheduled_invitees,
    i.past_active_invitees,
    i.no_shows,
    i.canceled_invitees / nullif(i.invitees, 0) AS cancellation_rate,
    i.rescheduled_invitees / nullif(i.invitees, 0) AS reschedule_rate,
    i.no_shows / nullif(i.past_active_invitees, 0) AS no_show_rate,
    i.avg_lead_time_hours,
    i.median_lead_time_hours
FROM i CROSS JOIN m;
