"""The bizmall ordering service."""
