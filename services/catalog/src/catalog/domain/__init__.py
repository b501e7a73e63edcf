"""Domain model of the catalog service: rules and aggregates, no I/O."""
