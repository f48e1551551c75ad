"""MATCHERS: every matcher, in the order they are consulted."""

from __future__ import annotations

from sievert.match.base import Matcher
from sievert.match.binary import BinaryMatcher
from sievert.match.distro import DistroMatcher
from sievert.match.osv import OsvMatcher

MATCHERS: tuple[Matcher, ...] = (
    DistroMatcher("dpkg", ("deb",), "deb"),
    DistroMatcher("apk", ("apk",), "apk"),
    DistroMatcher("rpm", ("rpm",), "rpm"),
    OsvMatcher(),
    BinaryMatcher(),
)
