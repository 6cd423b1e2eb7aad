-- Bookings made per ISO week (Monday, UTC) of the invitee's created_at and event type,
-- with how many of them were later canceled or rescheduled.
{{ calendly_bookings_made_per('booked_week', 'week') }}
