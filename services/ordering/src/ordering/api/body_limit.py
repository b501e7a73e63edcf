"""The largest request body ordering reads: 413 before any of a larger one is parsed.

Ordering takes small JSON bodies only (an order with at most 16 KiB of order
fields, ops' reasons), while the gateway lets 12 MB through for identity's
uploads. Without this limit a 10 MB ``options`` would be read and parsed whole
before the schema could refuse it (issue 19 item 8). A body over the limit
(by its ``Content-Length``, or counted as it comes when chunked) is read to
its end and dropped chunk by chunk, never held, and then answered 413: the
gateway is still sending it, and an answer before the end of the upload would
reach it as a broken connection (502) instead of this problem.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.problems import Problem, problem_response

#: Bytes of a request body ordering reads at most (an order is a few hundred).
MAX_REQUEST_BYTES = 64 * 1024


class BodyLimit:
    """ASGI middleware answering 413 ``request.too_large`` for a body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) <= self.max_bytes:
                await self.app(scope, receive, send)
            else:
                await self._refuse(scope, receive, send, headers, body_ended=False)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        read: list[Message] = []
        size = 0
        while True:
            message = await receive()
            read.append(message)
            size += len(message.get("body", b""))
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, headers, body_ended=ended)
                return
            if ended:
                break

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await self.app(scope, replay, send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        *,
        body_ended: bool,
    ) -> None:
        problem = Problem(
            413,
            "request.too_large",
            ja=f"リクエスト本文は{self.max_bytes // 1024}KiBまでです。",
            en=f"The request body must be at most {self.max_bytes // 1024} KiB.",
        )
        while not body_ended:  # the rest of the body, dropped as it comes
            message = await receive()
            body_ended = message["type"] != "http.request" or not message.get("more_body", False)
        language = headers.get(b"accept-language", b"").decode("latin-1") or None
        await problem_response(problem, language)(scope, receive, send)
