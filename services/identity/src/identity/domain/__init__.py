"""Domain model of the identity service: rules and aggregates, no I/O."""
