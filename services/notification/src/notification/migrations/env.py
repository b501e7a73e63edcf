"""Alembic environment of the notification service."""

from servicekit.migrations import run_env

run_env()
