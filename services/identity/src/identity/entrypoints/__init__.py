"""Entry points of the identity service: the HTTP app and the event subscriptions."""
