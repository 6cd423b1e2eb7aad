"""routing-forms, routing-form-submissions."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import add_get, command, group, limit_option, show_many
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"
SORTS = click.Choice(["created_at:asc", "created_at:desc"])

forms = group("routing-forms", "List and show routing forms.", [f"{S} routing-forms list"])
submissions = group(
    "routing-form-submissions",
    "List and show routing form submissions.",
    [f"{S} routing-form-submissions list --form ROUTING_FORM_URI --limit 5"],
)


def register(root: click.Group) -> None:
    root.add_command(forms)
    root.add_command(submissions)


@command(forms, "list", "List routing forms", examples=[f"{S} routing-forms list --output table"])
@click.option("--organization", help="Organization URI (default: the token's).")
@click.option("--sort", type=SORTS)
@limit_option
def forms_list(organization: str | None, sort: str | None, limit: int | None) -> None:
    rows = (
        get_state().client().routing_forms.list(organization=organization, sort=sort, limit=limit)
    )
    show_many(rows, ("uri", "name", "status", "updated_at"))


@command(
    submissions,
    "list",
    "List the submissions of a routing form",
    examples=[f"{S} routing-form-submissions list --form ROUTING_FORM_URI --limit 5"],
)
@click.option("--form", required=True, help="Routing form URI.")
@click.option("--sort", type=SORTS)
@limit_option
def submissions_list(form: str, sort: str | None, limit: int | None) -> None:
    rows = get_state().client().routing_form_submissions.list(form, sort=sort, limit=limit)
    show_many(rows, ("uri", "submitter", "result.type", "created_at"))


add_get(forms, "routing_forms", "Show one routing form", example=f"{S} routing-forms get UUID")
add_get(
    submissions,
    "routing_form_submissions",
    "Show one routing form submission",
    example=f"{S} routing-form-submissions get UUID",
)
