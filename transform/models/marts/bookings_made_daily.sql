-- Bookings made per UTC day of the invitee's created_at (not the meeting's start) and
-- event type, with how many of them were later canceled or rescheduled.
{{ calendly_bookings_made_per('booked_day', 'day') }}
