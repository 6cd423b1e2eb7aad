-- Meetings per ISO week (Monday, UTC) of their start time and event type.
-- requires: meetings
CREATE OR REPLACE VIEW {target}.bookings_weekly AS
SELECT
    start_week AS week,
    event_type_uri,
    any_value(event_type_name) AS event_type_name,
    count(*) AS meetings,
    count(*) FILTER (WHERE NOT is_canceled) AS active_meetings,
    count(*) FILTER (WHERE is_canceled) AS canceled_meetings,
    CAST(sum(invitees) AS BIGINT) AS invitees
FROM {target}.meetings
GROUP BY start_week, event_type_uri;
