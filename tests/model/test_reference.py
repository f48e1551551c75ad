"""Image references are parsed and normalised as Docker does."""

from __future__ import annotations

import pytest

from sievert.errors import UsageError
from sievert.model.reference import Reference, parse_reference

D64 = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "domain", "path", "tag", "digest"),
    [
        ("alpine", "docker.io", "library/alpine", "latest", ""),
        ("alpine:3.19", "docker.io", "library/alpine", "3.19", ""),
        ("library/alpine", "docker.io", "library/alpine", "latest", ""),
        ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", ""),
        ("docker.io/alpine", "docker.io", "library/alpine", "latest", ""),
        ("index.docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", ""),
        ("ghcr.io/org/team/app:1.0", "ghcr.io", "org/team/app", "1.0", ""),
        ("registry:5000/ns/repo:tag", "registry:5000", "ns/repo", "tag", ""),
        ("registry:5000/ns/repo", "registry:5000", "ns/repo", "latest", ""),
        ("localhost/repo", "localhost", "repo", "latest", ""),
        ("localhost:5000/repo:v_1.2-rc", "localhost:5000", "repo", "v_1.2-rc", ""),
        ("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest", ""),
        ("[::1]:5000/a:t", "[::1]:5000", "a", "t", ""),
        (f"alpine@{D64}", "docker.io", "library/alpine", "", D64),
        (f"alpine:3.19@{D64}", "docker.io", "library/alpine", "3.19", D64),
        (f"127.0.0.1:5000/x/y:t@{D64}", "127.0.0.1:5000", "x/y", "t", D64),
        (
            "my-registry.example.com/a.b/c__d/e-f",
            "my-registry.example.com",
            "a.b/c__d/e-f",
            "latest",
            "",
        ),
        ("Registry.Example/repo", "Registry.Example", "repo", "latest", ""),
    ],
)
def test_parse(text: str, domain: str, path: str, tag: str, digest: str) -> None:
    assert parse_reference(text) == Reference(domain, path, tag, digest)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Alpine", "lowercase"),
        ("docker.io/Library/alpine", "lowercase"),
        ("alpine:", "malformed tag"),
        ("alpine:bad/tag", "malformed registry host"),
        ("alpine:-x", "malformed tag"),
        ("alpine:" + "t" * 129, "malformed tag"),
        ("alpine@sha256:abc", "malformed digest"),
        ("alpine@sha256:" + "A" * 64, "lower-case hex"),
        ("alpine@sha256:" + "a" * 63, "lower-case hex"),
        ("alpine@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("alpine@", "malformed digest"),
        ("a//b", "empty repository path"),
        ("/alpine", "empty repository path"),
        ("alpine/", "empty repository path"),
        ("ex-.com/repo", "malformed registry host"),
        ("-bad", "malformed repository path"),
        ("a..b", "malformed repository path"),
        ("a b", "malformed repository path"),
        ("host.io/" + "a" * 250, "longer than 255"),
    ],
)
def test_malformed_references_are_usage_errors(text: str, fault: str) -> None:
    with pytest.raises(UsageError, match=fault) as err:
        parse_reference(text)
    if text.strip():
        assert repr(text.strip()) in str(err.value)


def test_properties_and_text() -> None:
    hub = parse_reference("alpine")
    assert str(hub) == "docker.io/library/alpine:latest"
    assert hub.api_host == "registry-1.docker.io"
    assert hub.identifier == "latest"
    local = parse_reference(f"localhost:5000/app:1@{D64}")
    assert local.hostname == "localhost" and local.api_host == "localhost:5000"
    assert local.identifier == D64
    assert str(local) == f"localhost:5000/app:1@{D64}"
    assert str(local.with_digest(D64)) == f"localhost:5000/app@{D64}"
    assert parse_reference("[::1]:5000/a").hostname == "::1"
    assert parse_reference("10.0.0.1/a").hostname == "10.0.0.1"
