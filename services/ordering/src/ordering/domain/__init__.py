"""Domain model of the ordering service: rules and aggregates, no I/O."""
