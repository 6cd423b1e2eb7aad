{% set src = source('calendly', 'event_invitees') %}
{% set cols = calendly_columns(src) %}
select
    uri as invitee_uri,
    "event" as event_uri,
    name as invitee_name,
    first_name,
    last_name,
    email as invitee_email,
    timezone as invitee_timezone,
    status,
    coalesce(rescheduled, false) as is_rescheduled,
    status = 'canceled' and not coalesce(rescheduled, false) as is_canceled,
    {{ calendly_json_present('no_show') }} as is_no_show,
    cast({{ calendly_json_text('no_show', 'created_at') }} as timestamp with time zone) as no_show_marked_at,
    old_invitee as old_invitee_uri,
    new_invitee as new_invitee_uri,
    routing_form_submission as routing_form_submission_uri,
    {{ calendly_tracking_columns('tracking') }},
    {{ calendly_json_text('cancellation', 'canceler_type') }} as canceler_type,
    {{ calendly_json_text('cancellation', 'canceled_by') }} as canceled_by,
    {{ calendly_json_text('cancellation', 'reason') }} as cancellation_reason,
    cast({{ calendly_json_text('payment', 'amount') }} as double precision) as payment_amount,
    {{ calendly_json_text('payment', 'currency') }} as payment_currency,
    {{ calendly_json_length('questions_and_answers') }} as answer_count,
    text_reminder_number,
    scheduling_method,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at
from {{ src }}
{{ calendly_live(cols) }}
