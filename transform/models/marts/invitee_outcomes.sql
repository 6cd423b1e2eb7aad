-- One row per invitee (a "booking"): how it ended (active, canceled, rescheduled, no-show),
-- how far ahead it was booked, and where it came from (UTM parameters, routing form).
select
    i.invitee_uri,
    i.event_uri,
    e.event_type_uri,
    coalesce(t.event_type_name, e.event_name) as event_type_name,
    i.status,
    i.is_rescheduled,
    i.is_canceled,
    i.is_no_show,
    i.created_at as booked_at,
    {{ calendly_utc_day('i.created_at') }} as booked_day,
    {{ calendly_utc_week('i.created_at') }} as booked_week,
    e.start_time,
    {{ calendly_hours_between('i.created_at', 'e.start_time') }} as lead_time_hours,
    e.start_time < {{ calendly_as_of() }} as has_started,
    i.canceler_type,
    i.cancellation_reason,
    i.utm_campaign,
    i.utm_source,
    i.utm_medium,
    i.utm_content,
    i.utm_term,
    i.salesforce_uuid,
    i.routing_form_submission_uri,
    i.answer_count,
    i.payment_amount,
    i.payment_currency
from {{ ref('stg_calendly__event_invitees') }} as i
left join {{ ref('stg_calendly__scheduled_events') }} as e on e.event_uri = i.event_uri
left join {{ ref('stg_calendly__event_types') }} as t on t.event_type_uri = e.event_type_uri
