"""Reports of `sievert runtime audit`: table, JSON, SARIF."""
