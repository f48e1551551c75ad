"""`sievert sbom`, `inspect` and `cache`: commands over an image's inventory."""
