"""Entry points of the ordering service: the HTTP app and the event subscriptions."""
