"""Reports of `sievert host scan`: table and JSON."""
