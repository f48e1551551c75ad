"""Language packages found inside binaries and archives: Java, Go, Rust, unpackaged programs."""
