-- Per host and ISO week (Monday, UTC): active meetings and hours.
-- requires: host_meetings
CREATE OR REPLACE VIEW {target}.host_load_weekly AS
SELECT
    host_uri,
    any_value(host_name) AS host_name,
    week,
    count(*) AS meetings,
    sum(hours) AS meeting_hours
FROM {target}.host_meetings
WHERE NOT is_canceled
GROUP BY host_uri, week;
