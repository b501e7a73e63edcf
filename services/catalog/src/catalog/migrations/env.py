"""Alembic environment of the catalog service."""

from servicekit.migrations import run_env

run_env()
