"""Imports every command module so each attaches its commands to the `sievert` group."""

import sievert.cli.db_commands  # noqa: F401
from sievert.cli import (
    image_commands,  # noqa: F401
    vuln_commands,  # noqa: F401
)
