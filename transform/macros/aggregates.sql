{# Select lists shared by marts of different grains (day and week, per type and overall). #}

{% macro calendly_tracking_columns(expression) -%}
  {#- The UTM parameters and Salesforce id Calendly records on invitees and submissions. -#}
  {%- for key in ['utm_campaign', 'utm_source', 'utm_medium', 'utm_content', 'utm_term', 'salesforce_uuid'] %}
    {{ calendly_json_text(expression, key) }} as {{ key }}{{ ',' if not loop.last }}
  {%- endfor %}
{%- endmacro %}


{% macro calendly_meetings_per(bucket, name) -%}
  {#- Meetings per time bucket of their start and event type. -#}
select
    {{ bucket }} as {{ name }},
    event_type_uri,
    max(event_type_name) as event_type_name,
    count(*) as meetings,
    count(*) filter (where not is_canceled) as active_meetings,
    count(*) filter (where is_canceled) as canceled_meetings,
    cast(sum(invitees) as bigint) as invitees
from {{ ref('meetings') }}
group by {{ bucket }}, event_type_uri
{%- endmacro %}


{% macro calendly_bookings_made_per(bucket, name) -%}
  {#- Bookings per time bucket of the invitee's created_at and event type. -#}
select
    {{ bucket }} as {{ name }},
    event_type_uri,
    max(event_type_name) as event_type_name,
    count(*) as bookings,
    count(*) filter (where is_canceled) as canceled,
    count(*) filter (where is_rescheduled) as rescheduled
from {{ ref('invitee_outcomes') }}
group by {{ bucket }}, event_type_uri
{%- endmacro %}


{% macro calendly_invitee_outcome_counts() -%}
  {#- Aggregates over invitee_outcomes rows: volume, outcomes and lead time. -#}
        count(*) as invitees,
        count(*) filter (where is_canceled) as canceled_invitees,
        count(*) filter (where is_rescheduled) as rescheduled_invitees,
        count(*) filter (where has_started and status = 'active') as past_active_invitees,
        count(*) filter (where has_started and status = 'active' and is_no_show) as no_shows,
        avg(lead_time_hours) as avg_lead_time_hours,
        percentile_cont(0.5) within group (order by lead_time_hours) as median_lead_time_hours
{%- endmacro %}
