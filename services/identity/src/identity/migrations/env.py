"""Alembic environment of the identity service."""

from servicekit.migrations import run_env

run_env()
