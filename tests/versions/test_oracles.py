"""Our dpkg and rpm orderings against the real tools over generated version pairs.

Oracles: python-debian's `version_compare`, `dpkg --compare-versions`, and rpm's own
`rpm.vercmp` (through `rpm --eval` and its Lua interpreter). Tests needing a tool skip
with a reason where it is absent; CI installs them (apt: dpkg, rpm).
"""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from sievert.versions import dpkg, rpm

_DPKG_PIECES = ["0", "1", "2", "9", "10", "01", "a", "b", "z", "~", "~rc1", "+", ".", "+deb12u1"]
_RPM_PIECES = ["0", "1", "2", "10", "01", "a", "b", "rc", "~", "^", ".", "_", "+", "el9", "~rc1"]


def _dpkg_version(rng: random.Random) -> str:
    upstream = rng.choice("0123456789") + "".join(rng.choices(_DPKG_PIECES, k=rng.randint(0, 5)))
    epoch = rng.choice(["", "", "", "1:", "0:", "2:"])
    revision = "".join(rng.choices(_DPKG_PIECES, k=rng.randint(1, 3)))
    return epoch + upstream + (f"-{revision}" if rng.random() < 0.6 else "")


def _rpm_version(rng: random.Random) -> str:
    version = rng.choice("0123456789") + "".join(rng.choices(_RPM_PIECES, k=rng.randint(0, 5)))
    epoch = rng.choice(["", "", "", "1:", "0:"])
    release = "".join(rng.choices(_RPM_PIECES, k=rng.randint(1, 3)))
    return epoch + version + (f"-{release}" if rng.random() < 0.7 else "")


def _pairs(make: object, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    assert callable(make)
    pairs = []
    for _ in range(count):
        a = make(rng)
        # Half the pairs share a prefix, so the comparison reaches the tricky tails.
        b = a[: rng.randint(1, len(a))] + make(rng)[1:] if rng.random() < 0.5 else make(rng)
        pairs.append((a, b))
    return pairs


DPKG_PAIRS = [
    *_pairs(_dpkg_version, 2000, seed=1),
    ("1.0~rc1", "1.0"),
    ("1.0", "1.0-0"),
    ("1:1.0", "1.0"),
    ("1.0+deb12u1", "1.0"),
]
RPM_PAIRS = [
    *_pairs(_rpm_version, 2000, seed=2),
    ("1.0~rc1", "1.0"),
    ("1.0^git1", "1.0.1"),
    ("1.0-1", "1.0"),
    ("1.0-", "1.0"),
    ("1.0-~", "1.0"),
]


def _valid_dpkg(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in pairs if dpkg.SCHEME.is_valid(a) and dpkg.SCHEME.is_valid(b)]


def test_dpkg_matches_python_debian() -> None:
    debian_support = pytest.importorskip("debian.debian_support")
    pairs = _valid_dpkg(DPKG_PAIRS)
    assert len(pairs) > 1500
    wrong = []
    for a, b in pairs:
        want = debian_support.version_compare(a, b)
        want = (want > 0) - (want < 0)
        if dpkg.compare(a, b) != want:
            wrong.append((a, b, want))
    assert not wrong, wrong[:10]


def test_dpkg_matches_dpkg_compare_versions() -> None:
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg not installed")
    pairs = _valid_dpkg(DPKG_PAIRS)[:400]
    script = "".join(
        f"dpkg --compare-versions '{a}' lt '{b}' 2>/dev/null && echo -1 || "
        f"{{ dpkg --compare-versions '{a}' eq '{b}' 2>/dev/null && echo 0 || echo 1; }}\n"
        for a, b in pairs
    )
    out = subprocess.run(["sh"], input=script, capture_output=True, text=True, check=True)
    answers = [int(line) for line in out.stdout.split()]
    assert len(answers) == len(pairs)
    wrong = [(a, b, w) for (a, b), w in zip(pairs, answers, strict=True) if dpkg.compare(a, b) != w]
    assert not wrong, wrong[:10]


def test_rpm_matches_rpm_vercmp() -> None:
    if shutil.which("rpm") is None:
        pytest.skip("rpm not installed (apt-get install rpm)")
    pairs = [(a, b) for a, b in RPM_PAIRS if rpm.SCHEME.is_valid(a) and rpm.SCHEME.is_valid(b)]
    assert len(pairs) > 1500
    lines = "".join(f"print(rpm.vercmp([[{a}]], [[{b}]]) .. ' ')\n" for a, b in pairs)
    out = subprocess.run(
        ["rpm", "--eval", "%{lua:\n" + lines + "}"], capture_output=True, text=True, check=True
    )
    answers = [int(line) for line in out.stdout.split()]
    assert len(answers) == len(pairs)
    wrong = [(a, b, w) for (a, b), w in zip(pairs, answers, strict=True) if rpm.compare(a, b) != w]
    assert not wrong, wrong[:10]
