"""Use cases of the notification service: command and event handlers, unit of work."""
