{% set src = source('calendly', 'event_types') %}
{% set cols = calendly_columns(src) %}
select
    uri as event_type_uri,
    name as event_type_name,
    active as is_active,
    slug,
    kind,
    pooling_type,
    type,
    cast(duration as double precision) as duration_minutes,
    {{ calendly_json_text('profile', 'type') }} as profile_type,
    {{ calendly_json_text('profile', 'name') }} as profile_name,
    {{ calendly_json_text('profile', 'owner') }} as profile_owner_uri,
    secret as is_secret,
    admin_managed as is_admin_managed,
    booking_method,
    scheduling_url,
    {{ calendly_json_length('custom_questions') }} as custom_question_count,
    {{ calendly_ts(cols, 'created_at') }} as created_at,
    {{ calendly_ts(cols, 'updated_at') }} as updated_at,
    {{ calendly_ts(cols, 'deleted_at') }} as deleted_at
from {{ src }}
{{ calendly_live(cols) }}
