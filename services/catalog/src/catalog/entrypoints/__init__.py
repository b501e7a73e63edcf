"""Entry points of the catalog service: the HTTP app and the event subscriptions."""
