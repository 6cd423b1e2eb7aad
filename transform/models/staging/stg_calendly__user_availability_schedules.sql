{% set src = source('calendly', 'user_availability_schedules') %}
{% set cols = calendly_columns(src) %}
select
    uri as schedule_uri,
    "user" as user_uri,
    name as schedule_name,
    "default" as is_default,
    timezone,
    {{ calendly_json_length('rules') }} as rule_count,
    {{ calendly_json('rules') }} as rules,
    {{ calendly_ts(cols, 'observed_at') }} as observed_at
from {{ src }}
{{ calendly_live(cols) }}
