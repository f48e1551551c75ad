"""docker-compose.yml and the Dockerfile, checked without Docker (compose cannot run here): the
YAML parses, every service runs a real `sievert` subcommand with options it accepts, every
SIEVERT_* variable is one the service reads, and the settings they make are the intended ones."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from cryptography.fernet import Fernet

import sievert.dirs
import sievert.service.settings
from sievert.cli.main import cli
from sievert.service.settings import from_env
from tests.clitools import run_sievert

ROOT = Path(__file__).resolve().parents[2]
_VAR = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def check_command(args: list[str]) -> click.Command:
    """Resolve `sievert ARGS` to its command and parse its options (nothing runs)."""
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest:
        found = command.get_command(click.Context(command), rest[0])
        if found is None:
            break
        command, rest = found, rest[1:]
    assert command is not cli, f"sievert {' '.join(args)}: no such subcommand"
    command.make_context(command.name or "", rest)  # raises on an unknown option or bad value
    return command


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} with these variables."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        if name in env:
            return env[name]
        assert "?" not in match.group(0), f"compose needs ${name}"
        return default

    return _VAR.sub(one, value)


def known_variables() -> set[str]:
    """Every SIEVERT_* variable the service settings and the data directories read."""
    text = inspect.getsource(sievert.service.settings) + inspect.getsource(sievert.dirs)
    return set(re.findall(r'"(SIEVERT_[A-Z_]+)"', text))


def test_services_run_real_sievert_subcommands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "server", "worker"} <= set(services)
    assert services["server"]["build"] == "."
    sievert_services = [s for s in services.values() if s.get("image") == "sievert:local"]
    assert len(sievert_services) == 2
    names = {check_command(s["command"]).name for s in sievert_services}
    assert names == {"server", "worker"}
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in ("server", "worker"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert services[name]["volumes"] == services["server"]["volumes"]  # shared uploads, DB


def test_environment_names_are_settings_and_make_a_postgres_deployment(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose["services"]["server"]["environment"]
    assert env == compose["services"]["worker"]["environment"]
    unknown = {k for k in env if k.startswith("SIEVERT_")} - known_variables()
    assert not unknown, f"not read by the service: {unknown}"
    given = {"POSTGRES_PASSWORD": "pw", "SIEVERT_SECRET_KEY": Fernet.generate_key().decode()}
    for key, value in env.items():
        monkeypatch.setenv(key, interpolate(str(value), given))
    settings = from_env()
    assert settings.is_postgres and settings.conninfo.endswith("@db:5432/sievert")
    assert settings.storage_dir == Path("/var/lib/sievert/uploads")
    assert settings.poll_interval == 300 and settings.db_mirror == ""
    assert sievert.dirs.data_dir() == Path("/var/lib/sievert/db")  # where vuln.db lives
    db = compose["services"]["db"]["environment"]
    assert interpolate(db["POSTGRES_PASSWORD"], given) == "pw"


def test_dockerfile_builds_what_compose_runs() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: not in the repository"
    entry = re.search(r'^ENTRYPOINT \["(\w+)"\]', text, re.MULTILINE)
    assert entry and entry.group(1) == "sievert"
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert cmd and check_command(yaml.safe_load(cmd.group(1))).name == "server"
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE)
    lint = run_sievert("config", str(ROOT / "Dockerfile"), "-f", "json")
    assert lint.returncode == 0, lint.stdout + lint.stderr
