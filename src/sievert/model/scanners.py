"""The scanners one `scan` runs in its single layer walk (a tiny module: `scan --help` reads it)."""

SCANNERS = ("vuln", "config", "secret")
"""Vulnerability matching, image misconfigurations, secrets: the canonical order."""
