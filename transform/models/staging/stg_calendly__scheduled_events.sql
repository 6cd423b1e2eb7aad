{% set src = source('calendly', 'scheduled_events') %}
{% set cols = calendly_columns(src) %}
with events as (
    select
        uri as event_uri,
        name as event_name,
        status,
        event_type as event_type_uri,
        {{ calendly_ts(cols, 'start_time') }} as start_time,
        {{ calendly_ts(cols, 'end_time') }} as end_time,
        {{ calendly_ts(cols, 'created_at') }} as created_at,
        {{ calendly_ts(cols, 'updated_at') }} as updated_at,
        {{ calendly_json_text('location', 'type') }} as location_type,
        {{ calendly_json_text('location', 'location') }} as location,
        {{ calendly_json_text('location', 'join_url') }} as join_url,
        {{ calendly_json_text('cancellation', 'canceler_type') }} as canceler_type,
        {{ calendly_json_text('cancellation', 'canceled_by') }} as canceled_by,
        {{ calendly_json_text('cancellation', 'reason') }} as cancellation_reason,
        cast({{ calendly_json_text('invitees_counter', 'limit') }} as integer) as invitee_limit,
        {{ calendly_json_length('event_memberships') }} as host_count,
        {{ calendly_json_length('event_guests') }} as guest_count,
        meeting_notes_plain
    from {{ src }}
    {{ calendly_live(cols) }}
)
select
    *,
    status = 'canceled' as is_canceled,
    {{ calendly_hours_between('start_time', 'end_time') }} * 60.0 as duration_minutes
from events
