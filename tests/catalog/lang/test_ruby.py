"""Ruby: installed gemspecs (a safe literal subset, never evaluated) and Gemfile.lock."""

from __future__ import annotations

import pytest

from sievert.catalog.base import CatalogContext
from sievert.catalog.lang.ruby import (
    GemInstalledCataloger,
    GemLockCataloger,
    parse_gemfile_lock,
    parse_gemspec,
    ruby_literal,
)
from tests.catalog.lang.util import by_name, fixture, run, view_with_whiteouts

SPECS = "usr/lib/ruby/gems/3.1.0/specifications"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"rack".freeze', "rack"),
        ("'O\\'Brien'", "O'Brien"),
        ('"Andr\\u00E9 \\"Q\\""', 'André "Q"'),
        ('"\\u{1F600}"', "\U0001f600"),
        ("%q{a {nested} b}", "a {nested} b"),
        ("%q<minitest>.freeze", "minitest"),
        ("[\"MIT\".freeze, 'Ruby']", ["MIT", "Ruby"]),
        ("%w[Ruby BSD-2-Clause]", ["Ruby", "BSD-2-Clause"]),
        ("[]", []),
        ('"1.0" if s.respond_to? :version', "1.0"),
        ("\"#{system('id')}\"", None),
        ("File.read('VERSION')", None),
        ('"unterminated', None),
        ('["a", b]', None),
        ('"a" + "b"', None),
    ],
)
def test_ruby_literal(text: str, expected: object) -> None:
    assert ruby_literal(text) == expected


def test_parse_gemspec_old_style_and_licences() -> None:
    (package,) = parse_gemspec(fixture("ruby/oldstyle-1.0.0.gemspec"), "/g").packages
    assert (package.name, package.version, package.type) == ("oldstyle", "1.0.0", "gem")
    assert package.purl == "pkg:gem/oldstyle@1.0.0"
    assert package.licenses == ("Ruby", "BSD-2-Clause")


def test_installed_cataloger_default_dir_whiteout_and_malformed() -> None:
    spec = fixture("ruby/oldstyle-1.0.0.gemspec")
    view = view_with_whiteouts(
        {
            f"{SPECS}/oldstyle-1.0.0.gemspec": spec,
            f"{SPECS}/default/json-2.6.1.gemspec": 's.name = "json"\ns.version = "2.6.1"\n',
            f"{SPECS}/gone-1.0.gemspec": 's.name = "gone"\ns.version = "1.0"\n',
            f"{SPECS}/evil.gemspec": 's.name = ENV["X"]\ns.version = `id`\n',
            "usr/lib/ruby/gems/3.1.0/gems/x-1/spec/fixtures/y.gemspec": 's.name = "y"\n',
        },
        (f"{SPECS}/gone-1.0.gemspec",),
    )
    result = GemInstalledCataloger().catalog(view, CatalogContext())
    assert sorted(p.name for p in result.packages) == ["json", "oldstyle"]
    (notice,) = result.notices
    assert notice.where == f"/{SPECS}/evil.gemspec"
    assert by_name(result.packages)["json"].cataloger == "gem-installed"


def test_gemfile_lock_sections_platform_and_direct() -> None:
    result = parse_gemfile_lock(fixture("ruby/Gemfile.lock"), "/Gemfile.lock")
    assert result.notices == []
    packages = by_name(result.packages)
    assert {n: p.version for n, p in packages.items()} == {
        "rails-html-sanitizer": "1.6.0",
        "myapp": "0.1.0",
        "loofah": "2.22.0",
        "crass": "1.0.6",
        "nokogiri": "1.16.2",
        "racc": "1.7.3",
        "rack": "2.2.8",
    }
    nokogiri = packages["nokogiri"]
    assert nokogiri.purl == "pkg:gem/nokogiri@1.16.2"
    assert nokogiri.metadata == (
        ("direct", "true"),
        ("platform", "x86_64-linux"),
        ("bundled_with", "2.5.6"),
    )
    assert packages["crass"].meta("direct") == ""
    assert packages["rails-html-sanitizer"].meta("source") == "git"
    assert packages["myapp"].meta("source") == "path"


def test_lock_cataloger_skips_vendor_and_notices_junk() -> None:
    cataloger = GemLockCataloger()
    assert cataloger.scopes == ("directory",)
    result = run(
        cataloger,
        {
            "Gemfile.lock": fixture("ruby/Gemfile.lock"),
            "vendor/bundle/ruby/3.1.0/gems/x-1/Gemfile.lock": fixture("ruby/Gemfile.lock"),
            "sub/Gemfile.lock": "just some text\n",
        },
    )
    assert len(result.packages) == 7
    assert {p.locations[0].path for p in result.packages} == {"/Gemfile.lock"}
    assert [n.where for n in result.notices] == ["/sub/Gemfile.lock"]
