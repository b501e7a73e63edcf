"""The bizmall identity service."""
