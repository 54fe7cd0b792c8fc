"""The security guard: detection, redaction, the sink policy engine and provider egress."""
