"""Real servers for the gateway tests: stub services on uvicorn, the gateway on uvicorn.

The stub services are small FastAPI apps that answer on the same public
paths as the real services and report what reached them (method, path,
query, headers, body size), plus a few paths that stream, sleep or count.
The identity stub also publishes a JWKS, so the gateway verifies real
signed tokens.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from pydantic import create_model
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.balancer import Resolver, resolve_with_system
from gateway.config import Settings

CHUNK = 64 * 1024


@dataclass
class Running:
    """A server started by a test."""

    url: str
    port: int
    #: Where the gateway serves /metrics (GATEWAY_METRICS_PORT), when it does.
    metrics_url: str | None = None


@asynccontextmanager
async def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Running]:
    """Run ``app`` on uvicorn in this event loop until the block ends."""
    # No proxy headers: as `python -m gateway api` without GATEWAY_TRUSTED_PROXIES.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="auto",
        proxy_headers=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Running(url=f"http://{host}:{bound}", port=bound)
    finally:
        server.should_exit = True
        await task


@dataclass
class Stub:
    """What a stub service saw; the test steers its streaming paths through events."""

    service: str
    instance: str
    hits: int = 0
    # Streaming download: the stub sends its first chunk, then waits for the test.
    first_chunk_seen_by_client: asyncio.Event = field(default_factory=asyncio.Event)
    download_finished: asyncio.Event = field(default_factory=asyncio.Event)
    # Streaming upload: set when the stub has the first chunk of the body.
    upload_first_chunk: asyncio.Event = field(default_factory=asyncio.Event)


def stub_app(stub: Stub, *, jwks: dict[str, Any] | None = None) -> FastAPI:
    """A stand-in for one service, answering on its public paths."""
    app = FastAPI(title=stub.instance)
    # Every service declares a component "Item", each a different shape.
    fields: dict[str, Any] = {"id": (str, ...), f"{stub.service}_only": (int, ...)}
    item_model: Any = create_model("Item", **fields)

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready", "service": stub.service})

    @app.get(f"/api/v1/ops/{stub.service}/items", response_model=list[item_model])
    async def ops_items() -> list[Any]:
        return []

    @app.get("/internal/secret-thing")
    async def internal() -> dict[str, str]:
        return {"secret": "never through the gateway"}

    if jwks is not None:

        @app.get("/internal/jwks")
        async def keys() -> dict[str, Any]:
            return jwks

    @app.get("/api/v1/invoices/{invoice_id}/pdf")
    async def big_download(invoice_id: str) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"%" * CHUNK
            # Only a gateway that streams lets the client see the first chunk
            # before the rest exists.
            await stub.first_chunk_seen_by_client.wait()
            for _ in range(20 * 1024 * 1024 // CHUNK - 1):
                yield b"x" * CHUNK
            stub.download_finished.set()

        return StreamingResponse(chunks(), media_type="application/pdf")

    @app.post("/api/v1/me/identity-documents")
    async def upload(request: Request) -> dict[str, Any]:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            if chunk and not stub.upload_first_chunk.is_set():
                stub.upload_first_chunk.set()
            digest.update(chunk)
            size += len(chunk)
        return {"size": size, "sha256": digest.hexdigest()}

    @app.get("/api/v1/orders/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(3)
        return {"late": "yes"}

    @app.api_route(
        "/{path:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def echo(path: str, request: Request) -> JSONResponse:
        stub.hits += 1
        body = await request.body()
        return JSONResponse(
            {
                "service": stub.service,
                "instance": stub.instance,
                "method": request.method,
                "path": request.url.path,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "headers": {k: v for k, v in request.headers.items()},
                "body_size": len(body),
            },
            headers={"X-Stub": stub.instance, "Set-Cookie": f"stub={stub.instance}; Path=/"},
        )

    return app


@dataclass
class Tokens:
    """Signs access tokens the way identity does (EdDSA, with a kid from the JWKS)."""

    key: Ed25519PrivateKey
    kid: str

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]}

    def issue(self, subject: str | None = None, roles: list[str] | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": subject or str(uuid.uuid4()),
            "roles": roles or ["member"],
            "entity_type": "corporation",
            "email_verified": True,
            "aud": "bizmall",
            "iss": "bizmall-identity",
            "iat": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


@dataclass
class Stack:
    """The stub services of the session and a way to start gateways in front of them."""

    stubs: dict[str, Stub]
    urls: dict[str, str]
    tokens: Tokens
    redis_url: str
    namespace_prefix: str
    _count: int = 0

    def settings(self, **overrides: Any) -> Settings:
        """Gateway settings pointing at the stubs, with a Redis namespace of their own."""
        self._count += 1
        values: dict[str, Any] = {
            "identity_urls": self.urls["identity"],
            "catalog_urls": self.urls["catalog"],
            "ordering_urls": self.urls["ordering"],
            "billing_urls": self.urls["billing"],
            "notification_urls": self.urls["notification"],
            "jwks_url": self.urls["identity"] + "/internal/jwks",
            "redis_url": self.redis_url,
            "redis_namespace": f"{self.namespace_prefix}:gw{self._count}",
            "upstream_timeout_seconds": 10.0,
            "maintenance_cache_seconds": 0.0,
            "refused_cooldown_seconds": 60.0,
            "web_root": "/nonexistent-web-root",
            "metrics_port": free_port(),
        }
        values.update(overrides)
        return Settings(**values)

    @asynccontextmanager
    async def gateway(
        self, settings: Settings | None = None, resolver: Resolver = resolve_with_system
    ) -> AsyncIterator[Running]:
        """A gateway on uvicorn for the duration of an ``async with`` block."""
        settings = settings or self.settings()
        async with serve(create_app(settings, resolver=resolver)) as running:
            if settings.metrics_port:
                running.metrics_url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
            yield running

    @asynccontextmanager
    async def extra_stub(
        self, service: str, instance: str, *, host: str = "127.0.0.1", port: int = 0
    ) -> AsyncIterator[tuple[Running, Stub]]:
        """One more stub instance of ``service`` for the duration of an ``async with`` block."""
        stub = Stub(service=service, instance=instance)
        async with serve(stub_app(stub), host=host, port=port) as running:
            yield running, stub


def free_port() -> int:
    """A local TCP port nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest_asyncio.fixture(scope="session")
async def stack(infra: Any) -> AsyncIterator[Stack]:
    """Stub identity, catalog, ordering (two instances) and notification; billing is down."""
    tokens = Tokens(key=Ed25519PrivateKey.generate(), kid="test-key-1")
    names = ["identity", "catalog", "ordering-a", "ordering-b", "notification"]
    stubs = {name: Stub(service=name.split("-")[0], instance=name) for name in names}
    async with (
        serve(stub_app(stubs["identity"], jwks=tokens.jwks())) as identity,
        serve(stub_app(stubs["catalog"])) as catalog,
        serve(stub_app(stubs["ordering-a"])) as ordering_a,
        serve(stub_app(stubs["ordering-b"])) as ordering_b,
        serve(stub_app(stubs["notification"])) as notification,
    ):
        yield Stack(
            stubs=stubs,
            urls={
                "identity": identity.url,
                "catalog": catalog.url,
                "ordering": f"{ordering_a.url},{ordering_b.url}",
                "billing": f"http://127.0.0.1:{free_port()}",
                "notification": notification.url,
            },
            tokens=tokens,
            redis_url=infra.redis_url,
            namespace_prefix=infra.redis_namespace,
        )


@pytest_asyncio.fixture(scope="session")
async def gateway(stack: Stack) -> AsyncIterator[Running]:
    """The gateway with default limits in front of the stubs."""
    async with stack.gateway() as running:
        yield running


@pytest_asyncio.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that keeps bodies as they are sent (no decompression)."""
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on."""
    return free_port()


@pytest.fixture
def member_token(stack: Stack) -> str:
    return stack.tokens.issue()


@pytest.fixture
def ops_token(stack: Stack) -> str:
    return stack.tokens.issue(roles=["ops"])


@pytest.fixture(name="serve")
def serve_fixture() -> Any:
    """:func:`serve`, for tests that run an upstream app of their own."""
    return serve
