-- One row per answer in a routing-form submission (questions_and_answers unnested).
{% set src = source('calendly', 'routing_form_submissions') %}
{% set cols = calendly_columns(src) %}
select
    s.uri as submission_uri,
    s.routing_form as routing_form_uri,
    a.position,
    {{ calendly_json_text('a.element', 'question_uuid') }} as question_uuid,
    {{ calendly_json_text('a.element', 'question') }} as question,
    {{ calendly_json_text('a.element', 'answer') }} as answer
from {{ src }} as s
cross join {{ calendly_json_elements('s.questions_and_answers') }} as a
{{ calendly_live(cols, 's') }}
