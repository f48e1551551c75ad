"""PHP composer and .NET (deps.json, NuGet packages.lock.json) catalogers."""

from __future__ import annotations

from sievert.catalog.lang.dotnet import (
    DotnetDepsCataloger,
    NugetLockCataloger,
    parse_deps_json,
    parse_packages_lock,
)
from sievert.catalog.lang.php import (
    ComposerInstalledCataloger,
    ComposerLockCataloger,
    parse_composer_lock,
    parse_installed_json,
)
from tests.catalog.lang.util import by_name, fixture, run


def test_installed_json_v1_array() -> None:
    result = parse_installed_json(fixture("php/installed-v1.json"), "/i")
    packages = by_name(result.packages)
    assert set(packages) == {"monolog/monolog", "psr/log"}
    monolog = packages["monolog/monolog"]
    assert (monolog.type, monolog.version) == ("composer", "1.27.1")
    assert monolog.purl == "pkg:composer/monolog/monolog@1.27.1"
    assert monolog.licenses == ("MIT",)


def test_installed_json_v2_dev_names_and_bad_entry() -> None:
    result = parse_installed_json(fixture("php/installed-v2.json"), "/i")
    packages = by_name(result.packages)
    assert {n: p.meta("dev") for n, p in packages.items()} == {
        "symfony/console": "",
        "phpunit/phpunit": "true",
    }
    assert packages["symfony/console"].purl == "pkg:composer/symfony/console@v5.4.36"
    assert len(result.notices) == 1


def test_composer_lock_packages_dev() -> None:
    packages = by_name(parse_composer_lock(fixture("php/composer.lock"), "/c").packages)
    assert {n: p.meta("dev") for n, p in packages.items()} == {
        "guzzlehttp/guzzle": "",
        "phpstan/phpstan": "true",
    }


def test_composer_catalogers_scopes_and_malformed() -> None:
    installed = ComposerInstalledCataloger()
    assert installed.scopes == ("image", "directory")
    result = run(
        installed,
        {
            "var/www/vendor/composer/installed.json": fixture("php/installed-v1.json"),
            "srv/vendor/composer/installed.json": '{"packages": 5}',
        },
    )
    assert len(result.packages) == 2
    assert result.packages[0].locations[0].path == "/var/www/vendor/composer/installed.json"
    assert [n.where for n in result.notices] == ["/srv/vendor/composer/installed.json"]
    lock = ComposerLockCataloger()
    assert lock.scopes == ("directory",)
    result = run(
        lock,
        {
            "composer.lock": fixture("php/composer.lock"),
            "vendor/acme/lib/composer.lock": fixture("php/composer.lock"),
        },
    )
    assert len(result.packages) == 2


def test_deps_json_packages_only_with_direct_flags() -> None:
    result = parse_deps_json(fixture("dotnet/app.deps.json"), "/app/MyApp.deps.json")
    packages = by_name(result.packages)
    assert {n: (p.version, p.meta("direct")) for n, p in packages.items()} == {
        "Newtonsoft.Json": ("13.0.1", "true"),
        "Serilog": ("3.1.1", "true"),
        "System.Diagnostics.DiagnosticSource": ("7.0.2", ""),
    }
    newtonsoft = packages["Newtonsoft.Json"]
    assert (newtonsoft.type, newtonsoft.purl) == ("nuget", "pkg:nuget/Newtonsoft.Json@13.0.1")


def test_packages_lock_merges_frameworks() -> None:
    result = parse_packages_lock(fixture("dotnet/packages.lock.json"), "/p")
    found = [(p.name, p.version, p.meta("direct")) for p in result.packages]
    assert found == [
        ("Newtonsoft.Json", "13.0.1", "true"),
        ("System.Memory", "4.5.5", ""),
        ("Newtonsoft.Json", "13.0.1", "true"),
    ]


def test_dotnet_catalogers_dedupe_locations_and_malformed() -> None:
    result = run(
        DotnetDepsCataloger(),
        {"app/MyApp.deps.json": fixture("dotnet/app.deps.json"), "app/Bad.deps.json": "[1, 2"},
    )
    assert len(result.packages) == 3
    assert {p.locations[0].path for p in result.packages} == {"/app/MyApp.deps.json"}
    assert [n.where for n in result.notices] == ["/app/Bad.deps.json"]
    lock = NugetLockCataloger()
    assert lock.scopes == ("image", "directory")
    result = run(lock, {"src/packages.lock.json": fixture("dotnet/packages.lock.json")})
    assert [p.name for p in result.packages] == ["Newtonsoft.Json", "System.Memory"]
