"""vulndb stage."""
