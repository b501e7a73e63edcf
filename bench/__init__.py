"""Benchmarks of bizmall on a local stack (``make bench``); not tests, see bench/README.md."""
