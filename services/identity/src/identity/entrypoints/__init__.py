"""Entry points of the identity service: the HTTP app, event subscriptions, periodic
jobs and management commands."""
