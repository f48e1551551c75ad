"""Imports every command module so each attaches its commands to the `sievert` group."""

from sievert.cli import image_commands  # noqa: F401
