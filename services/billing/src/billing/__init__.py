"""The bizmall billing service."""
