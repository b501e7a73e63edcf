"""Adapters of the notification service: tables, repositories, outbound clients."""
