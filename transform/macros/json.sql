{#
  The few JSON operations the models need, per engine. Both engines read an object's
  member as text with `->>`; the rest differs (DuckDB's JSON type and json_each,
  PostgreSQL's jsonb and jsonb_array_elements).
#}

{% macro calendly_json(expression) %}
  {{- return(adapter.dispatch('calendly_json', 'calendly')(expression)) -}}
{% endmacro %}

{% macro duckdb__calendly_json(expression) -%}
  cast({{ expression }} as json)
{%- endmacro %}

{% macro postgres__calendly_json(expression) -%}
  {#- to_jsonb turns jsonb[] (target-postgres' arrays) into one jsonb array; jsonb stays as is. -#}
  to_jsonb({{ expression }})
{%- endmacro %}


{% macro calendly_json_text(expression, key) -%}
  ({{ calendly_json(expression) }} ->> '{{ key }}')
{%- endmacro %}


{% macro calendly_json_present(expression) %}
  {{- return(adapter.dispatch('calendly_json_present', 'calendly')(expression)) -}}
{% endmacro %}

{% macro duckdb__calendly_json_present(expression) -%}
  coalesce(json_type({{ calendly_json(expression) }}) <> 'NULL', false)
{%- endmacro %}

{% macro postgres__calendly_json_present(expression) -%}
  coalesce(jsonb_typeof({{ calendly_json(expression) }}) <> 'null', false)
{%- endmacro %}


{% macro calendly_json_length(expression) %}
  {{- return(adapter.dispatch('calendly_json_length', 'calendly')(expression)) -}}
{% endmacro %}

{% macro duckdb__calendly_json_length(expression) -%}
  coalesce(cast(json_array_length({{ calendly_json(expression) }}) as bigint), 0)
{%- endmacro %}

{% macro postgres__calendly_json_length(expression) -%}
  (case when jsonb_typeof({{ calendly_json(expression) }}) = 'array'
        then cast(jsonb_array_length({{ calendly_json(expression) }}) as bigint) else 0 end)
{%- endmacro %}


{#
  A lateral subquery with one row per element of a JSON array: `element` (JSON) and
  `position` (0-based). Anything that is not an array yields no rows.
  Use: from t cross join {{ calendly_json_elements('t.col') }} as e
#}
{% macro calendly_json_elements(expression) %}
  {{- return(adapter.dispatch('calendly_json_elements', 'calendly')(expression)) -}}
{% endmacro %}

{% macro duckdb__calendly_json_elements(expression) -%}
  lateral (
    select value as element, cast(key as integer) as position
    from json_each(case when json_type({{ calendly_json(expression) }}) = 'ARRAY'
                        then {{ calendly_json(expression) }} else cast('[]' as json) end)
  )
{%- endmacro %}

{% macro postgres__calendly_json_elements(expression) -%}
  lateral (
    select value as element, cast(ordinality - 1 as integer) as position
    from jsonb_array_elements(case when jsonb_typeof({{ calendly_json(expression) }}) = 'array'
                                   then {{ calendly_json(expression) }} else '[]'::jsonb end)
         with ordinality
  )
{%- endmacro %}
