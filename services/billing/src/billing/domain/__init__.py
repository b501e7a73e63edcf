"""Domain model of the billing service: rules and aggregates, no I/O."""
