"""The `sievert` command: one click group; each command module adds its commands here."""

from __future__ import annotations

import importlib
import sys

import click

from sievert import __version__
from sievert.errors import EXIT_ERROR, EXIT_USAGE, SievertError
from sievert.terminal import one_line

COMMAND_MODULES = {
    "sbom": "sievert.cli.image_commands",
    "inspect": "sievert.cli.image_commands",
    "cache": "sievert.cli.image_commands",
    "scan": "sievert.cli.scan_commands",
    "db": "sievert.cli.db_commands",
    "vuln": "sievert.cli.vuln_commands",
    "config": "sievert.cli.config_commands",
    "policy": "sievert.cli.policy_commands",
    "runtime": "sievert.cli.runtime_commands",
    "host": "sievert.cli.host_commands",
    "server": "sievert.cli.service_commands",
    "worker": "sievert.cli.service_commands",
}
"""Where each top-level command lives; a module is imported only when its command runs."""


class SievertGroup(click.Group):
    """Loads command modules lazily; turns Sievert errors into one-line messages and exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing the modules."""
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module on first use (it attaches the command to `cli`)."""
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name])
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; SievertError -> `sievert: error: ...` and its exit code."""
        try:
            return super().invoke(ctx)
        except SievertError as exc:
            click.echo(f"sievert: error: {one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"sievert: error: {one_line(str(exc))}", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=SievertGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sievert")
def cli() -> None:
    """Sievert: container image inventory, SBOMs and vulnerability scanning."""


def main() -> None:
    """Console-script entry point."""
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
