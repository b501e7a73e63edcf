"""Adapters of the identity service: tables, repositories, outbound clients."""
