"""Use cases of the catalog service: command and event handlers, unit of work."""
