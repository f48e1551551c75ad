"""A loaded policy file: policies of rules, mappings choosing one per image, and exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec

from sievert.policy.patterns import ImagePattern

SCOPES = ("vulnerability", "package", "config", "secret", "runtime", "image")
"""What a rule looks at: each finding of one kind, or the image as a whole."""


class Leaf(msgspec.Struct, frozen=True):
    """One predicate, e.g. `severity: high`, compiled to a test over one subject."""

    key: str
    text: str
    """The predicate as written, for explanations ('severity >= high')."""
    scopes: frozenset[str]
    test: Callable[[Any, Any], bool]
    """test(context, subject) -> whether the predicate holds."""
    detail: Callable[[Any], str] | None = None
    """For image predicates: what was found ('user is root')."""


class AllOf(msgspec.Struct, frozen=True):
    """Every child holds."""

    children: tuple[Predicate, ...]


class AnyOf(msgspec.Struct, frozen=True):
    """At least one child holds."""

    children: tuple[Predicate, ...]


class NotOf(msgspec.Struct, frozen=True):
    """The child does not hold."""

    child: Predicate


Predicate = Leaf | AllOf | AnyOf | NotOf


class Rule(msgspec.Struct, frozen=True):
    """A policy rule: when its predicate holds for a subject, its action triggers."""

    id: str
    action: str
    description: str
    scope: str
    when: Predicate
    line: int = 0


class PolicyException(msgspec.Struct, frozen=True):
    """An accepted risk: findings matching every given selector are suppressed until expiry."""

    label: str
    """'exceptions[2]' or the entry's id, for reports."""
    reason: str
    owner: str
    vulnerability: str = ""
    package: str = ""
    rule: str = ""
    secret_path: str = ""
    image: ImagePattern | None = None
    ticket: str = ""
    expires: dt.date | None = None

    def expired(self, now: dt.date) -> bool:
        """Past its expiry date (an exception is valid through the date itself)."""
        return self.expires is not None and now > self.expires


class Policy(msgspec.Struct, frozen=True):
    """A named set of rules with its own exceptions."""

    id: str
    description: str
    rules: tuple[Rule, ...]
    exceptions: tuple[PolicyException, ...] = ()


class Mapping(msgspec.Struct, frozen=True):
    """Chooses a policy for the images matching a pattern."""

    name: str
    pattern: ImagePattern
    policy: str


class PolicyDocument(msgspec.Struct, frozen=True):
    """A whole policy file."""

    path: str
    policies: tuple[Policy, ...]
    mappings: tuple[Mapping, ...] = ()
    default: str = ""
    """Policy id used when no mapping matches ('' when every image must be mapped)."""
    exceptions: tuple[PolicyException, ...] = msgspec.field(default=())
    """File-wide exceptions, applied whichever policy is chosen."""

    def policy(self, policy_id: str) -> Policy:
        """The policy with this id (the loader guarantees mapped ids exist)."""
        return next(p for p in self.policies if p.id == policy_id)
