{% set src = source('calendly', 'event_type_available_times') %}
{% set cols = calendly_columns(src) %}
select
    event_type as event_type_uri,
    {{ calendly_ts(cols, 'start_time') }} as start_time,
    status,
    invitees_remaining,
    scheduling_url,
    {{ calendly_ts(cols, 'observed_at') }} as observed_at
from {{ src }}
{{ calendly_live(cols) }}
