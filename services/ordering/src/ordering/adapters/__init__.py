"""Adapters of the ordering service: tables, repositories, outbound clients."""
