-- Bookings made per ISO week (Monday, UTC, of the invitee's created_at) and event type.
-- requires: invitee_outcomes
CREATE OR REPLACE VIEW {target}.bookings_made_weekly AS
SELECT
    booked_week AS week,
    event_type_uri,
    any_value(event_type_name) AS event_type_name,
    count(*) AS bookings,
    count(*) FILTER (WHERE is_canceled) AS canceled,
    count(*) FILTER (WHERE is_rescheduled) AS rescheduled
FROM {target}.invitee_outcomes
GROUP BY booked_week, event_type_uri;
