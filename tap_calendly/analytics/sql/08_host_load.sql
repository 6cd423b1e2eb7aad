-- Per host: how many meetings and hours they carry (active meetings only), plus
-- canceled and upcoming counts.
-- requires: host_meetings
CREATE OR REPLACE VIEW {target}.host_load AS
SELECT
    host_uri,
    any_value(host_name) AS host_name,
    any_value(host_email) AS host_email,
    count(*) FILTER (WHERE NOT is_canceled) AS meetings,
    coalesce(sum(hours) FILTER (WHERE NOT is_canceled), 0) AS meeting_hours,
    count(*) FILTER (WHERE is_canceled) AS canceled_meetings,
    count(*) FILTER (WHERE NOT is_canceled AND NOT has_started) AS upcoming_meetings
FROM {target}.host_meetings
GROUP BY host_uri;
