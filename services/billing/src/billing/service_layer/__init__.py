"""Use cases of the billing service: command and event handlers, unit of work."""
