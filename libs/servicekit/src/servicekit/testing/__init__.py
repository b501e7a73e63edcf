"""Test support for bizmall: real servers, isolated per run."""
