"""Helpers of the web UI tests: a second tag of the app image, sign-in, CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from tests.imagebuilder import F, Image
from tests.service.helpers import APP_IMAGE

STATUS_V2 = "".join(
    f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
    f"Source: {source}\nVersion: {version}\n\n"
    for name, source, version in (
        ("libc6", "glibc", "2.36-9+deb12u6"),
        ("libpam0g", "pam", "1.5.2-6+deb12u3"),
        ("curl", "curl", "7.88.1-10+deb12u4"),
        ("zlib1g", "zlib", "1:1.2.13.dfsg-1"),
    )
)
APP_IMAGE_V2 = Image(
    [
        [
            F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
            F("var/lib/dpkg/status", STATUS_V2),
        ],
        [F("app/lib/requests-2.32.3.dist-info/METADATA", "Name: requests\nVersion: 2.32.3\n")],
    ],
    history=["/bin/sh -c #(nop) ADD file:base2 in /", "RUN pip install requests==2.32.3"],
)
"""Tag 2 of example/app: libc6 fixed (CVE-2024-2961 gone), zlib1g added, requests upgraded,
the planted key removed."""
assert APP_IMAGE.layers  # tag 1 is the service tests' app image

POLICY = """\
version: 1
policies:
  - id: gate
    description: UI test gate
    rules:
      - id: exploited
        action: stop
        description: Known exploited vulnerabilities
        when: {kev: true}
"""

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: Any, token: str = "", username: str = "", password: str = "") -> Any:
    """Sign in through the form; the answer to the POST."""
    csrf = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": csrf, "token": token, "username": username, "password": password},
        follow_redirects=False,
    )
