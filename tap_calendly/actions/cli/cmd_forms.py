"""routing-forms, routing-form-submissions."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import add_get, add_list, created_at_sort, group, limit_option

S = "calendly --sandbox"

forms = group("routing-forms", "List and show routing forms.", [f"{S} routing-forms list"])
submissions = group(
    "routing-form-submissions",
    "List and show routing form submissions.",
    [f"{S} routing-form-submissions list --form ROUTING_FORM_URI --limit 5"],
)


def register(root: click.Group) -> None:
    root.add_command(forms)
    root.add_command(submissions)


add_list(
    forms,
    "list",
    "List routing forms",
    method=lambda client: client.routing_forms.list,
    columns=("uri", "name", "status", "updated_at"),
    examples=[f"{S} routing-forms list --output table"],
    params=[
        click.option("--organization", help="Organization URI (default: the token's)."),
        created_at_sort,
        limit_option,
    ],
)
add_list(
    submissions,
    "list",
    "List the submissions of a routing form",
    method=lambda client: client.routing_form_submissions.list,
    columns=("uri", "submitter", "result.type", "created_at"),
    examples=[f"{S} routing-form-submissions list --form ROUTING_FORM_URI --limit 5"],
    params=[
        click.option("--form", required=True, help="Routing form URI."),
        created_at_sort,
        limit_option,
    ],
)
add_get(forms, "routing_forms", "Show one routing form", example=f"{S} routing-forms get UUID")
add_get(
    submissions,
    "routing_form_submissions",
    "Show one routing form submission",
    example=f"{S} routing-form-submissions get UUID",
)
