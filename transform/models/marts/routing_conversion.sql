-- Per routing form: submissions and how many led to a booking (a submission names its
-- submitter, the invitee who booked, once the booking exists).
-- conversion_rate = booked_submissions / submissions, NULL for a form with none.
with s as (
    select
        routing_form_uri,
        count(*) as submissions,
        count(*) filter (where is_booked) as booked_submissions
    from {{ ref('stg_calendly__routing_form_submissions') }}
    group by routing_form_uri
)

select
    coalesce(f.routing_form_uri, s.routing_form_uri) as routing_form_uri,
    f.routing_form_name,
    coalesce(s.submissions, 0) as submissions,
    coalesce(s.booked_submissions, 0) as booked_submissions,
    {{ calendly_ratio('s.booked_submissions', 's.submissions') }} as conversion_rate
from {{ ref('stg_calendly__routing_forms') }} as f
full outer join s on s.routing_form_uri = f.routing_form_uri
