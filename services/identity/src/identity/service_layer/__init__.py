"""Use cases of the identity service: command and event handlers, unit of work."""
