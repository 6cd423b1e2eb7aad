-- One row per scheduled event (a "meeting"), with its event type, first host,
-- lead time and invitee outcome counts. The other meeting views build on this one.
-- requires: scheduled_events, event_invitees, event_types, users
CREATE OR REPLACE VIEW {target}.meetings AS
WITH invitee_counts AS (
    SELECT
        "event" AS event_uri,
        count(*) AS invitees,
        count(*) FILTER (WHERE status = 'active') AS active_invitees,
        count(*) FILTER (WHERE coalesce(json_type(no_show) <> 'NULL', FALSE)) AS no_shows
    FROM {source}.event_invitees
    GROUP BY "event"
)
SELECT
    e.uri AS event_uri,
    e.name AS event_name,
    e.event_type AS event_type_uri,
    coalesce(t.name, e.name) AS event_type_name,
    e.status,
    e.status = 'canceled' AS is_canceled,
    json_extract_string(e.cancellation, '$.canceler_type') AS canceler_type,
    e.start_time,
    e.end_time,
    (epoch(e.end_time) - epoch(e.start_time)) / 60.0 AS duration_minutes,
    e.created_at AS booked_at,
    (epoch(e.start_time) - epoch(e.created_at)) / 3600.0 AS lead_time_hours,
    CAST(timezone('UTC', e.start_time) AS DATE) AS start_day,
    CAST(date_trunc('week', timezone('UTC', e.start_time)) AS DATE) AS start_week,
    e.start_time < now() AS has_started,
    json_extract_string(e.event_memberships, '$[0].user') AS host_uri,
    coalesce(u.name, json_extract_string(e.event_memberships, '$[0].user_name')) AS host_name,
    CAST(coalesce(json_array_length(e.event_memberships), 0) AS BIGINT) AS host_count,
    coalesce(c.invitees, 0) AS invitees,
    coalesce(c.active_invitees, 0) AS active_invitees,
    coalesce(c.no_shows, 0) AS no_shows
FROM {source}.scheduled_events AS e
LEFT JOIN {source}.event_types AS t ON t.uri = e.event_type
LEFT JOIN {source}.users AS u ON u.uri = json_extract_string(e.event_memberships, '$[0].user')
LEFT JOIN invitee_counts AS c ON c.event_uri = e.uri;
