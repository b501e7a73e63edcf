"""Entry points of the notification service: the HTTP app and the event subscriptions."""
