"""Write the gateway's merged OpenAPI document without a running stack.

Each service's FastAPI app is built in this process (nothing connects until a
request comes) and its schema merged as the gateway merges the live ones
(``gateway.openapi.merge``); ``openapi-typescript`` turns the document into the
web client's types (``make web-types``; ``make lint`` checks they are current).

Usage: ``uv run python web/scripts/export_openapi.py OUT.json``
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

from gateway.config import SERVICES
from gateway.openapi import merge


def merged_document() -> dict[str, object]:
    """Every service's schema as the gateway publishes it, at ``/api/v1/openapi.json``."""
    schemas = {}
    for service in SERVICES:
        app = importlib.import_module(f"{service}.entrypoints.app").create_app()
        schemas[service] = app.openapi()
    document = merge({"openapi": "3.1.0", "info": {"version": "0.1.0"}}, schemas, [])
    return document


def main() -> None:
    target = Path(sys.argv[1])
    text = json.dumps(merged_document(), ensure_ascii=False, indent=1, sort_keys=True)
    target.write_text(text + "\n", encoding="utf-8")
    sys.stdout.flush()
    # Some services' imports start helper threads that would hold the process open.
    os._exit(0)


if __name__ == "__main__":
    main()
