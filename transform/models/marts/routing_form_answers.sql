-- One row per answer in a routing-form submission, with the form, the routing result and
-- whether the submission led to a booking.
select
    a.submission_uri,
    a.position,
    a.question_uuid,
    a.question,
    a.answer,
    s.routing_form_uri,
    f.routing_form_name,
    s.created_at as submitted_at,
    s.is_booked,
    s.submitter_uri,
    s.result_type,
    s.result_value
from {{ ref('stg_calendly__routing_form_answers') }} as a
inner join {{ ref('stg_calendly__routing_form_submissions') }} as s
    on s.submission_uri = a.submission_uri
left join {{ ref('stg_calendly__routing_forms') }} as f on f.routing_form_uri = s.routing_form_uri
