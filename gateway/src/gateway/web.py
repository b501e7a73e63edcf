"""The web client's static files at ``/``, and the API docs page.

The web client is a single-page app: a path that is not a file of the build
and not an API path answers ``index.html``, and the client's router takes it
from there. Pages carry security headers; the CSP allows no inline script
(inline styles are allowed: UI libraries set ``style`` attributes).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, HTMLResponse, Response

from gateway import errors
from servicekit.problems import problem_response

PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}

#: First path segments that never fall back to the web client's index.html.
_NOT_PAGES = frozenset({"api", "internal", "healthz", "readyz", "metrics"})


def page_response(web_root: Path, path: str, accept_language: str | None) -> Response:
    """The file at ``path`` of the web build, ``index.html`` for a client-side route, or 404."""
    root = web_root.resolve()
    index = root / "index.html"
    candidate = (root / path).resolve()
    if path and candidate.is_relative_to(root) and candidate.is_file():
        return FileResponse(candidate, headers=PAGE_HEADERS)
    if index.is_file() and path.split("/", 1)[0] not in _NOT_PAGES:
        # The shell must never be cached: it names the current build's assets.
        return FileResponse(index, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})
    return problem_response(errors.not_routed(), accept_language)


def docs_page(schema: dict[str, Any]) -> HTMLResponse:
    """A plain HTML index of every operation in ``schema`` (no script, works offline)."""
    info = schema.get("info", {})
    rows = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            cells = (
                html.escape(", ".join(operation.get("tags", []))),
                f"<code>{html.escape(method.upper())}</code>",
                f"<code>{html.escape(path)}</code>",
                html.escape(operation.get("summary", "")),
            )
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(info.get('title', 'API'))}</title></head><body>"
        f"<h1>{html.escape(info.get('title', 'API'))}</h1>"
        f"<p>{html.escape(info.get('description', ''))}</p>"
        "<p>Machine-readable schema: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> "
        "(load it into any OpenAPI viewer).</p>"
        "<table><thead><tr><th>service</th><th>method</th><th>path</th><th>summary</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )
    return HTMLResponse(body, headers=PAGE_HEADERS)
