-- Per event type (profile_name: the user or team that owns it): volume, cancellation / reschedule / no-show rates and lead time.
-- Rates are fractions in [0, 1], NULL when there is nothing to divide by.
-- requires: invitee_outcomes, meetings
CREATE OR REPLACE VIEW {target}.event_type_stats AS
WITH m AS (
    SELECT
        event_type_uri,
        count(*) AS meetings,
        count(*) FILTER (WHERE is_canceled) AS canceled_meetings
    FROM {target}.meetings
    GROUP BY event_type_uri
), i AS (
    SELECT
        event_type_uri,
        any_value(event_type_name) AS event_type_name,
        count(*) AS invitees,
        count(*) FILTER (WHERE is_canceled) AS canceled_invitees,
        count(*) FILTER (WHERE is_rescheduled) AS rescheduled_invitees,
        count(*) FILTER (WHERE has_started AND status = 'active') AS past_active_invitees,
        count(*) FILTER (WHERE has_started AND status = 'active' AND is_no_show) AS no_shows,
        avg(lead_time_hours) AS avg_lead_time_hours,
        median(lead_time_hours) AS median_lead_time_hours
    FROM {target}.invitee_outcomes
    GROUP BY event_type_uri
)
SELECT
    m.event_type_uri,
    coalesce(i.event_type_name, t.name) AS event_type_name,
    json_extract_string(t.profile, '$.name') AS profile_name,
    m.meetings,
    m.canceled_meetings,
    coalesce(i.invitees, 0) AS invitees,
    coalesce(i.canceled_invitees, 0) AS canceled_invitees,
    coalesce(i.rescheduled_invitees, 0) AS rescheduled_invitees,
    coalesce(i.past_active_invitees, 0) AS past_active_invitees,
    coalesce(i.no_shows, 0) AS no_shows,
    i.canceled_invitees / nullif(i.invitees, 0) AS cancellation_rate,
    i.rescheduled_invitees / nullif(i.invitees, 0) AS reschedule_rate,
    i.no_shows / nullif(i.past_active_invitees, 0) AS no_show_rate,
    i.avg_lead_time_hours,
    i.median_lead_time_hours
FROM m
LEFT JOIN i ON i.event_type_uri IS NOT DISTINCT FROM m.event_type_uri
LEFT JOIN {source}.event_types AS t ON t.uri = m.event_type_uri;
