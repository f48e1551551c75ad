"""`python -m sievert` runs the CLI."""

from sievert.cli.main import main

main()
