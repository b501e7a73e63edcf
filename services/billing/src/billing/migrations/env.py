"""Alembic environment of the billing service."""

from servicekit.migrations import run_env

run_env()
