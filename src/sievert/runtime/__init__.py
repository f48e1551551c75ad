"""runtime stage: running containers of the local engine, checked against the SV-RT rules."""
