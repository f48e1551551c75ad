"""Inventory (SBOM) writers: `sievert sbom -f ...`."""
