{#
  How a loader stored each column decides how to read it: target-calendly-duckdb writes
  date-times as TIMESTAMPTZ and nested values as JSON; target-postgres writes date-times as
  timestamp without time zone (UTC) and arrays as jsonb[]. Staging models look the types
  up once (calendly_columns) and let the macros below pick the right expression.
#}

{% macro calendly_columns(relation) %}
  {#- {column name: lower-case data type}; empty while dbt only parses the project. -#}
  {%- set found = {} -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- do found.update({column.name | lower: column.data_type | lower}) -%}
    {%- endfor -%}
    {%- if not found -%}
      {{ exceptions.raise_compiler_error(
          "calendly: " ~ relation.schema ~ "." ~ relation.identifier ~ " does not exist or has no columns; sync that stream first, "
          ~ "or leave its models out (dbt build --exclude <model>+)") }}
    {%- endif -%}
  {%- endif -%}
  {{ return(found) }}
{% endmacro %}


{% macro calendly_ts(columns, name) %}
  {#- A date-time column as timestamp with time zone, whatever the loader stored. -#}
  {%- set kind = columns.get(name, '') -%}
  {%- set quoted = adapter.quote(name) -%}
  {%- if kind in ('timestamp without time zone', 'timestamp') -%}
    ({{ quoted }} at time zone 'UTC')
  {%- elif kind in ('text', 'varchar', 'character varying') -%}
    cast({{ quoted }} as timestamp with time zone)
  {%- else -%}
    {{ quoted }}
  {%- endif -%}
{% endmacro %}


{% macro calendly_live(columns, alias='') %}
  {#- Rows the loader retired (ACTIVATE_VERSION soft deletes) are left out of staging. -#}
  {%- if '_sdc_deleted_at' in columns -%}
    where {{ alias ~ '.' if alias }}_sdc_deleted_at is null
  {%- endif -%}
{% endmacro %}


{% macro calendly_check_warehouse() %}
  {#-
    on-run-start: DuckDB names a database after its file, so in calendly.duckdb a schema
    calendly makes every calendly.<table> ambiguous and no view can be built over it.
  -#}
  {%- set source_schema = env_var('CALENDLY_SOURCE_SCHEMA', 'calendly') -%}
  {%- if target.type == 'duckdb' and (target.database | lower) == (source_schema | lower) -%}
    {{ exceptions.raise_compiler_error(
        "calendly: the DuckDB file " ~ target.database ~ ".duckdb is named like the source schema '"
        ~ source_schema ~ "', which makes " ~ source_schema ~ ".<table> ambiguous in DuckDB; "
        ~ "load into a file with another name (e.g. calendly_dev.duckdb)") }}
  {%- endif -%}
{% endmacro %}
