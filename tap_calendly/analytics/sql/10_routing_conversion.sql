-- Per routing form: submissions and how many led to a booking (a submission names its
-- submitter, the invitee who booked, once the booking exists).
-- conversion_rate = booked_submissions / submissions, NULL for a form with none.
-- requires: routing_form_submissions, routing_forms
CREATE OR REPLACE VIEW {target}.routing_conversion AS
WITH s AS (
    SELECT
        routing_form AS routing_form_uri,
        count(*) AS submissions,
        count(*) FILTER (WHERE submitter IS NOT NULL) AS booked_submissions
    FROM {source}.routing_form_submissions
    GROUP BY routing_form
)
SELECT
    coalesce(f.uri, s.routing_form_uri) AS routing_form_uri,
    f.name AS routing_form_name,
    coalesce(s.submissions, 0) AS submissions,
    coalesce(s.booked_submissions, 0) AS booked_submissions,
    s.booked_submissions / nullif(s.submissions, 0) AS conversion_rate
FROM {source}.routing_forms AS f
FULL OUTER JOIN s ON s.routing_form_uri = f.uri;
