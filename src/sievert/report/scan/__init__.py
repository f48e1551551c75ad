"""Scan report writers: `sievert scan -f ...`."""
