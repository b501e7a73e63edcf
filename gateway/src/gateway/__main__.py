"""``python -m gateway api``: serve the gateway with uvicorn (uvloop, httptools)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from gateway.config import Settings
from servicekit.logging import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gateway``."""
    parser = argparse.ArgumentParser(prog="python -m gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the public HTTP entry point")
    parser.parse_args(argv)
    settings = Settings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # X-Forwarded-For is believed only from the configured proxies: the
        # client address keys the login rate limits.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        timeout_graceful_shutdown=20,
        # Longer than the idle timeout of the load balancers and clients in front
        # (commonly 60 s): a connection is then closed by its client, never by the
        # gateway at the moment a client reuses it (uvicorn's 5 s default made a
        # client's request after a 5 s pause meet a closing connection).
        timeout_keep_alive=75,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
