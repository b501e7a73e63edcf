"""Entry points of the catalog service: the HTTP app, the event subscriptions, the jobs."""
