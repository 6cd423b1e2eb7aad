{% set src = source('calendly', 'user_busy_times') %}
{% set cols = calendly_columns(src) %}
select
    busy_time_id,
    "user" as user_uri,
    type as busy_type,
    {{ calendly_ts(cols, 'start_time') }} as start_time,
    {{ calendly_ts(cols, 'end_time') }} as end_time,
    {{ calendly_ts(cols, 'buffered_start_time') }} as buffered_start_time,
    {{ calendly_ts(cols, 'buffered_end_time') }} as buffered_end_time,
    {{ calendly_json_text('"event"', 'uri') }} as event_uri,
    {{ calendly_ts(cols, 'observed_at') }} as observed_at
from {{ src }}
{{ calendly_live(cols) }}
