"""Dockerfile check report writers: `sievert config -f ...`."""
