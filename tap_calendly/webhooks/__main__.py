"""``python -m tap_calendly.webhooks serve|apply``: the two commands without the
``calendly`` CLI around them."""

from __future__ import annotations

import click

from tap_calendly.webhooks.cli import apply, serve


@click.group(name="webhooks")
def main() -> None:
    """Calendly webhook receiver and apply step."""


main.add_command(serve)
main.add_command(apply)

if __name__ == "__main__":
    main()
