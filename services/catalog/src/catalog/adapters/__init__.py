"""Adapters of the catalog service: tables, repositories, outbound clients."""
