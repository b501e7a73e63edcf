"""Use cases of the ordering service: command and event handlers, unit of work."""
