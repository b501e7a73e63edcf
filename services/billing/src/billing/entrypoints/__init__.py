"""Entry points of the billing service: the HTTP app and the event subscriptions."""
