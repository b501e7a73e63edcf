"""The bizmall catalog service."""
