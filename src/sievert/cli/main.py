"""The `sievert` command: one click group; each command module adds its commands here."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from sievert import __version__
from sievert.cli.console import GC_THRESHOLD
from sievert.errors import EXIT_ERROR, EXIT_USAGE, InternalError, SievertError
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

COMMAND_SUMMARIES = {
    "cache": "Manage the layer analysis cache.",
    "config": "Check the Dockerfile(s) at PATH: a Dockerfile, Containerfile, or a folder to "
    "search.",
    "db": "Build, inspect, export and import the local vulnerability database.",
    "host": "Machines: their installed packages, running kernel and reboot state, read "
    "agentlessly.",
    "inspect": "Show TARGET's layers (digest, size, created_by) and the packages each introduced.",
    "policy": "Policy files: validate them, print their JSON Schema, evaluate a saved scan result.",
    "runtime": "Running containers: how they are run, and what their images hold.",
    "sbom": "List every package in TARGET (image, archive, layout, registry ref or directory).",
    "scan": "Find the known vulnerabilities in TARGET (any image target) or in an SBOM.",
    "server": "Serve the API (OpenAPI at /docs): images analysed once, stored, judged and queried.",
    "vuln": "Query the vulnerability database.",
    "worker": "Run analysis jobs from PostgreSQL (Procrastinate) until stopped with SIGINT or "
    "SIGTERM.",
}
"""The first paragraph of each command's docstring, so `sievert --help` imports no command module.

tests/cli/test_lazy_imports.py checks these against the commands themselves."""


_EXPECTED = (
    SievertError,
    OSError,
    click.exceptions.ClickException,
    click.exceptions.Exit,
    click.exceptions.Abort,
)
"""Exceptions the commands raise on purpose; anything else is a bug, reported as InternalError."""


class SievertCommand(click.Command):
    """A command whose unexpected exceptions become one InternalError naming it and its input."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the callback; a bug -> InternalError (and the traceback first under --debug)."""
        try:
            return super().invoke(ctx)
        except _EXPECTED:
            raise
        except Exception as exc:
            debug = bool(ctx.find_root().params.get("debug"))
            if debug:
                _print_traceback()
            raise InternalError(_command_name(ctx), _subject(ctx), exc, hint=not debug) from exc


def _print_traceback() -> None:
    """The traceback of the exception being handled, on stderr (--debug only: loaded then)."""
    import traceback

    traceback.print_exc()


def _command_name(ctx: click.Context) -> str:
    """`sievert policy eval`, whatever the program was called as."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["sievert", *reversed(names)])


_NOT_INPUTS = ("output", "db_path", "cache_dir")


def _subject(ctx: click.Context) -> str:
    """What the command was run on: its first argument given, else its first input file."""
    params = ctx.command.params
    arguments = [p for p in params if isinstance(p, click.Argument)]
    files = [p for p in params if isinstance(p.type, click.Path) and p.name not in _NOT_INPUTS]
    for param in (*arguments, *files):
        value = ctx.params.get(param.name or "")
        if value:
            return " ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return ""


class SievertGroup(click.Group):
    """Loads command modules lazily; turns Sievert errors into one-line messages and exit codes."""

    command_class = SievertCommand
    group_class = type

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing the modules."""
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module on first use (it attaches the command to `cli`)."""
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from COMMAND_SUMMARIES for modules not loaded yet."""
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            cmd = self.commands.get(name)
            if cmd is None and name in COMMAND_SUMMARIES:
                cmd = click.Command(name, help=COMMAND_SUMMARIES[name])
            elif cmd is None:
                cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
@click.option("--debug", is_flag=True, help="Print the traceback of an internal error.")
def cli(debug: bool) -> None:
    """Sievert: container image inventory, SBOMs and vulnerability scanning."""


def main() -> None:
    """Run the CLI in this process (`sievert.cli.console.run` is the process's entry point):
    never a traceback unless --debug asks for one."""
    gc.set_threshold(*GC_THRESHOLD)
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
    except SievertError as exc:
        click.echo(f"sievert: error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # outside any command: argument parsing, lazy imports
        debug = "--debug" in sys.argv[1:]
        if debug:
            _print_traceback()
        crash = InternalError("sievert", "", exc, hint=not debug)
        click.echo(f"sievert: error: {one_line(str(crash))}", err=True)
        sys.exit(EXIT_ERROR)
