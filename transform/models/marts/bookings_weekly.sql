-- Meetings per ISO week (Monday, UTC) of their start time and event type.
{{ calendly_meetings_per('start_week', 'week') }}
