-- Bookings made per UTC day (the invitee's created_at, not the meeting's start) and
-- event type, with how many of them were later canceled or rescheduled.
-- requires: invitee_outcomes
CREATE OR REPLACE VIEW {target}.bookings_made_daily AS
SELECT
    booked_day AS day,
    event_type_uri,
    any_value(event_type_name) AS event_type_name,
    count(*) AS bookings,
    count(*) FILTER (WHERE is_canceled) AS canceled,
    count(*) FILTER (WHERE is_rescheduled) AS rescheduled
FROM {target}.invitee_outcomes
GROUP BY booked_day, event_type_uri;
