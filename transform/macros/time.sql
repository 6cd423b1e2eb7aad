{# Day and week buckets are UTC; weeks start on Monday (ISO) on both engines. #}

{% macro calendly_utc_day(expression) -%}
  cast(({{ expression }}) at time zone 'UTC' as date)
{%- endmacro %}

{% macro calendly_utc_week(expression) -%}
  cast(date_trunc('week', ({{ expression }}) at time zone 'UTC') as date)
{%- endmacro %}

{% macro calendly_hours_between(start, finish) -%}
  (cast(extract(epoch from {{ finish }}) - extract(epoch from {{ start }}) as double precision) / 3600.0)
{%- endmacro %}

{% macro calendly_ratio(numerator, denominator) -%}
  (cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#
  "Now" for has-started / upcoming columns: the as_of var or CALENDLY_AS_OF (an ISO-8601
  timestamp with offset), else the build's own time. A fixed as_of makes a build
  reproducible, and lets the demo use the sandbox's simulated clock.
#}
{% macro calendly_as_of() -%}
  {%- set as_of = var('as_of', '') or env_var('CALENDLY_AS_OF', '') -%}
  {%- if as_of -%}
    {%- set pattern = '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})' -%}
    {%- if not modules.re.fullmatch(pattern, as_of) -%}
      {{ exceptions.raise_compiler_error(
          "calendly: as_of / CALENDLY_AS_OF must be an ISO-8601 timestamp with a time zone, "
          ~ "e.g. 2026-01-31T12:00:00Z; got " ~ (as_of | tojson)) }}
    {%- endif -%}
    cast('{{ as_of }}' as timestamp with time zone)
  {%- else -%}
    current_timestamp
  {%- endif -%}
{%- endmacro %}
