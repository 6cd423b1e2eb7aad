-- One row per (meeting, host): a collective or round-robin meeting counts once for
-- each user in its event_memberships.
-- requires: scheduled_events, users
CREATE OR REPLACE VIEW {target}.host_meetings AS
WITH hosts AS (
    SELECT
        e.uri AS event_uri,
        e.status,
        e.start_time,
        e.end_time,
        unnest(json_extract_string(e.event_memberships, '$[*].user')) AS host_uri
    FROM {source}.scheduled_events AS e
)
SELECT
    h.host_uri,
    u.name AS host_name,
    u.email AS host_email,
    h.event_uri,
    h.status = 'canceled' AS is_canceled,
    h.start_time,
    (epoch(h.end_time) - epoch(h.start_time)) / 3600.0 AS hours,
    CAST(date_trunc('week', timezone('UTC', h.start_time)) AS DATE) AS week,
    h.start_time < now() AS has_started
FROM hosts AS h
LEFT JOIN {source}.users AS u ON u.uri = h.host_uri;
