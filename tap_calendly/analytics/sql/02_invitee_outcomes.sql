-- One row per invitee (a "booking"): how it ended (active, canceled, rescheduled,
-- no-show) and how far ahead it was booked. Rates are computed from this view.
-- requires: event_invitees, scheduled_events, event_types
CREATE OR REPLACE VIEW {target}.invitee_outcomes AS
SELECT
    i.uri AS invitee_uri,
    i."event" AS event_uri,
    e.event_type AS event_type_uri,
    coalesce(t.name, e.name) AS event_type_name,
    i.status,
    coalesce(i.rescheduled, FALSE) AS is_rescheduled,
    i.status = 'canceled' AND NOT coalesce(i.rescheduled, FALSE) AS is_canceled,
    coalesce(json_type(i.no_show) <> 'NULL', FALSE) AS is_no_show,
    i.created_at AS booked_at,
    CAST(timezone('UTC', i.created_at) AS DATE) AS booked_day,
    CAST(date_trunc('week', timezone('UTC', i.created_at)) AS DATE) AS booked_week,
    e.start_time,
    (epoch(e.start_time) - epoch(i.created_at)) / 3600.0 AS lead_time_hours,
    e.start_time < now() AS has_started,
    i.routing_form_submission AS routing_form_submission_uri
FROM {source}.event_invitees AS i
LEFT JOIN {source}.scheduled_events AS e ON e.uri = i."event"
LEFT JOIN {source}.event_types AS t ON t.uri = e.event_type;
