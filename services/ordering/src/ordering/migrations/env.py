"""Alembic environment of the ordering service."""

from servicekit.migrations import run_env

run_env()
