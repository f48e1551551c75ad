"""`sievert server` (with `server token create`) and `sievert worker`: the service."""

from __future__ import annotations

import gc
import logging
import sys

import click

from sievert.cli.main import cli
from sievert.errors import UsageError

database_option = click.option(
    "--database",
    metavar="URL",
    default="",
    help="sqlite:///PATH or postgresql://... (default: $SIEVERT_DATABASE_URL, else SQLite in "
    "the data directory). PostgreSQL runs analyses on `sievert worker` processes.",
)
db_option = click.option(
    "--db",
    "vuln_db",
    metavar="FILE",
    default="",
    help="Vulnerability database (default: the CLI's, $SIEVERT_DB or the data directory).",
)


@cli.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@database_option
@db_option
@click.pass_context
def server(ctx: click.Context, host: str, port: int, database: str, vuln_db: str) -> None:
    """Serve the API (OpenAPI at /docs): images analysed once, stored, judged and queried.

    With no configuration it runs embedded: SQLite under the data directory and analyses on
    threads of this process. Every route but /healthz and /readyz needs a bearer token made
    with `sievert server token create --role admin`.
    """
    ctx.ensure_object(dict)
    ctx.obj["database"] = database
    ctx.obj["vuln_db"] = vuln_db
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from sievert.service.app import create_app
    from sievert.service.collector import SERVER_THRESHOLD, FreezeAfterWarmup
    from sievert.service.settings import from_env

    settings = from_env(database, vuln_db)
    _logging()
    app = create_app(settings)
    click.echo(f"sievert server: http://{host}:{port} (state: {_safe(settings.database_url)})")
    gc.set_threshold(*SERVER_THRESHOLD)
    served = FreezeAfterWarmup(app)  # full collections stay short while requests wait
    uvicorn.run(served, host=host, port=port, log_level="info", access_log=False)


@server.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "analyst", "read-only"]), help="Rights."
)
@click.option("--name", default="", help="A label to recognise the token by.")
@click.pass_context
def token_create(ctx: click.Context, role: str, name: str) -> None:
    """Make a token and print it on stdout (shown this once; only its hash is stored)."""
    from sievert.service.database import Database
    from sievert.service.models import ApiToken
    from sievert.service.security import make_token
    from sievert.service.settings import from_env

    settings = from_env(ctx.obj.get("database", ""), ctx.obj.get("vuln_db", ""))
    db = Database(settings)
    try:
        db.migrate()
        new = make_token()
        with db.session() as session:
            session.add(ApiToken(id=new.id, name=name, role=role, secret_hash=new.secret_hash))
    finally:
        db.dispose()
    click.echo(new.text)


@server.group()
def user() -> None:
    """Web UI users (username and password)."""


@user.command("create")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "analyst", "read-only"]), help="Rights."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.pass_context
def user_create(ctx: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Add a UI user (or reset their password and role); only the argon2 hash is stored."""
    from sievert.service.database import Database
    from sievert.service.models import UiUser
    from sievert.service.settings import from_env
    from sievert.service.ui.auth import hash_password

    if not username.strip() or len(username) > 100:
        raise UsageError("the username is 1 to 100 characters")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    if len(password) < 8:
        raise UsageError("the password needs at least 8 characters")
    settings = from_env(ctx.obj.get("database", ""), ctx.obj.get("vuln_db", ""))
    db = Database(settings)
    try:
        db.migrate()
        with db.session() as session:
            session.merge(
                UiUser(username=username, role=role, password_hash=hash_password(password))
            )
    finally:
        db.dispose()
    click.echo(f"user {username} ({role}) stored", err=True)


@cli.command()
@database_option
@db_option
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64))
def worker(database: str, vuln_db: str, concurrency: int) -> None:
    """Run analysis jobs from PostgreSQL (Procrastinate) until stopped with SIGINT or SIGTERM."""
    from sievert.service.analysis import Analyser
    from sievert.service.app import install_hooks
    from sievert.service.database import Database
    from sievert.service.security import load_cipher
    from sievert.service.settings import from_env
    from sievert.service.tasks import run_worker

    settings = from_env(database, vuln_db)
    if not settings.is_postgres:
        raise UsageError(
            "sievert worker needs a PostgreSQL --database (SQLite servers analyse in-process)"
        )
    _logging()
    db = Database(settings)
    try:
        db.migrate()
        analyser = Analyser(db, settings, load_cipher(settings))
        install_hooks(analyser)
        click.echo(f"sievert worker: jobs from {_safe(settings.database_url)}", err=True)
        run_worker(settings, analyser, concurrency)
    finally:
        db.dispose()


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def _safe(url: str) -> str:
    """The URL without its password."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, userinfo = head.partition("://")
    return f"{scheme}://{userinfo.split(':')[0]}@{tail}"
