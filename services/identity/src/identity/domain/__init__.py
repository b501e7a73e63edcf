"""Identity's domain: registration rules and the common-password list (no I/O)."""
