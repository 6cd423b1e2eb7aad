-- One row per answer an invitee gave to an event type's custom question
-- (questions_and_answers unnested). position is Calendly's question position.
{% set src = source('calendly', 'event_invitees') %}
{% set cols = calendly_columns(src) %}
select
    i.uri as invitee_uri,
    i."event" as event_uri,
    coalesce(cast({{ calendly_json_text('a.element', 'position') }} as integer), a.position) as position,
    {{ calendly_json_text('a.element', 'question') }} as question,
    {{ calendly_json_text('a.element', 'answer') }} as answer
from {{ src }} as i
cross join {{ calendly_json_elements('i.questions_and_answers') }} as a
{{ calendly_live(cols, 'i') }}
