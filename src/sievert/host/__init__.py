"""host stage: agentless scans of machines (local, a root directory, or over SSH)."""
