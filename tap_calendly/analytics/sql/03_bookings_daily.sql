-- Meetings per UTC day of their start time and event type.
-- requires: meetings
CREATE OR REPLACE VIEW {target}.bookings_daily AS
SELECT
    start_day AS day,
    event_type_uri,
    any_value(event_type_name) AS event_type_name,
    count(*) AS meetings,
    count(*) FILTER (WHERE NOT is_canceled) AS active_meetings,
    count(*) FILTER (WHERE is_canceled) AS canceled_meetings,
    CAST(sum(invitees) AS BIGINT) AS invitees
FROM {target}.meetings
GROUP BY start_day, event_type_uri;
