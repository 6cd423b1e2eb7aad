-- Meetings per UTC day of their start time and event type.
{{ calendly_meetings_per('start_day', 'day') }}
