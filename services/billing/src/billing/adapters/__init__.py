"""Adapters of the billing service: tables, repositories, outbound clients."""
