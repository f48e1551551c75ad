"""`python -m sievert` runs the CLI."""

from sievert.cli.console import run

run()
