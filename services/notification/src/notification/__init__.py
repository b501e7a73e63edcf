"""The bizmall notification service."""
