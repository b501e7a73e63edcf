"""Domain model of the notification service: rules and aggregates, no I/O."""
