"""The `sievert` command: one click group; each command module adds its commands here."""

from __future__ import annotations

import sys

import click

from sievert import __version__
from sievert.errors import EXIT_ERROR, EXIT_USAGE, SievertError


class SievertGroup(click.Group):
    """Turns Sievert errors into one-line messages and documented exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; SievertError -> `sievert: error: ...` and its exit code."""
        try:
            return super().invoke(ctx)
        except SievertError as exc:
            click.echo(f"sievert: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"sievert: error: {exc}", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=SievertGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sievert")
def cli() -> None:
    """Sievert: container image inventory, SBOMs and vulnerability scanning."""


def _register() -> None:
    from sievert.cli import commands  # noqa: F401  (modules attach their commands to `cli`)


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("sievert: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
