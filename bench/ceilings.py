"""The ceilings every figure is compared with, measured in the same run on the same machine.

Three bare apps, each served the way the services are (uvicorn, uvloop,
httptools, the same worker count: ``BENCH_CEILING_WORKERS``, default 1 like
``ServiceSettings.workers``), each in a process of its own:

``framework``
    A FastAPI app answering ``GET /api/v1/services`` with the catalog's own
    lineup JSON (fetched from the stack at start) through its typed response
    model (catalog's ``ServicePage``), validated and serialised on every
    request: the framework ceiling for catalog reads.
``proxy``
    A bare pass-through reverse proxy, a raw ASGI app forwarding every request
    to the framework app with one shared aiohttp client session (the client
    the gateway uses; httpx measured about ten times slower): the two-hop
    ceiling for reads through the gateway.
``write``
    A FastAPI app whose ``POST /rows`` validates a small JSON body and inserts
    one row into PostgreSQL over an asyncpg pool the size of a service's
    (``db_pool_size`` 5, as many again overflow): the database write ceiling
    for order placement.

    uv run python -m bench.ceilings framework|proxy|write PORT    # one of them, by hand
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel, Field

from bench.stack import Stack, postgres_dsn
from catalog.api.schemas import ServicePage

HOST = "127.0.0.1"
WORKERS = int(os.environ.get("BENCH_CEILING_WORKERS", "1"))
#: The environment variables the apps read their inputs from.
LINEUP_FILE_VAR = "BENCH_CEILING_LINEUP_FILE"
UPSTREAM_VAR = "BENCH_CEILING_UPSTREAM"
DSN_VAR = "BENCH_CEILING_DSN"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def framework_app() -> Any:
    """The framework ceiling: the lineup through catalog's typed ``ServicePage``."""
    page = ServicePage.model_validate_json(Path(os.environ[LINEUP_FILE_VAR]).read_bytes())
    app = FastAPI()

    @app.get("/api/v1/services", response_model=ServicePage)
    async def lineup() -> ServicePage:
        return page

    return app


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host"}
)


def proxy_app() -> Any:
    """The two-hop ceiling: a raw ASGI pass-through proxy on one aiohttp session."""
    import aiohttp

    upstream = os.environ[UPSTREAM_VAR].rstrip("/")
    state: dict[str, aiohttp.ClientSession] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
                    state["session"] = aiohttp.ClientSession(
                        connector=connector, auto_decompress=False
                    )
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await state["session"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        query = scope.get("query_string", b"").decode("latin-1")
        url = upstream + scope["path"] + (f"?{query}" if query else "")
        async with state["session"].request(
            scope["method"], url, headers=headers, data=body or None
        ) as response:
            payload = await response.read()
            out = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in response.headers.items()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
            ]
            out.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            await send({"type": "http.response.body", "body": payload})

    return app


class RowIn(BaseModel):
    """The write ceiling's request body."""

    member_id: uuid.UUID
    quantity: int = Field(ge=1)
    note: str = Field(max_length=200)


class RowOut(BaseModel):
    """The write ceiling's answer."""

    id: uuid.UUID


def write_app() -> Any:
    """The database write ceiling: one validated INSERT per ``POST /rows``."""
    pool: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool["db"] = await asyncpg.create_pool(os.environ[DSN_VAR], min_size=5, max_size=10)
        try:
            yield
        finally:
            await pool["db"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/rows", response_model=RowOut, status_code=201)
    async def insert(row: RowIn) -> RowOut:
        new_id = uuid.uuid4()
        await pool["db"].execute(
            "INSERT INTO ceiling_row (id, member_id, quantity, note) VALUES ($1, $2, $3, $4)",
            new_id,
            row.member_id,
            row.quantity,
            row.note,
        )
        return RowOut(id=new_id)

    return app


APPS = {"framework": framework_app, "proxy": proxy_app, "write": write_app}


def serve(kind: str, port: int) -> None:
    """Serve one ceiling app exactly as ``servicekit.cli.serve_api`` serves a service."""
    import uvicorn

    uvicorn.run(
        f"bench.ceilings:{APPS[kind].__name__}",
        factory=True,
        host=HOST,
        port=port,
        workers=WORKERS,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )


@dataclass
class Ceilings:
    """Where the running ceiling apps answer."""

    framework_url: str
    proxy_url: str
    write_url: str
    pids: dict[str, int]


#: Seconds a ceiling app gets to start listening (a busy 2-core machine is slow to import).
START_TIMEOUT = float(os.environ.get("BENCH_START_TIMEOUT", "300"))


async def _wait_listening(port: int, process: asyncio.subprocess.Process, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"ceiling app {name} exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"ceiling app {name} not listening on {port}") from None
            await asyncio.sleep(0.2)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


async def _prepare_database(admin_dsn: str, database: str) -> str:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE ceiling_row (id uuid PRIMARY KEY, member_id uuid NOT NULL,"
            " quantity integer NOT NULL, note text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
    finally:
        await conn.close()
    return dsn


async def _drop_database(admin_dsn: str, database: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


async def lineup_json(base_url: str) -> bytes:
    """The lineup's JSON as the catalog answers it (what the framework ceiling serves)."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/api/v1/services") as response:
            response.raise_for_status()
            return await response.read()


@contextlib.asynccontextmanager
async def ceilings_beside(stack: Stack, *, database: str) -> AsyncIterator[Ceilings]:
    """The ceilings, serving the lineup of ``stack``'s catalog, with a database of their
    own on the benchmark's PostgreSQL and a work folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bizmall-ceilings-") as work:
        async with running_ceilings(
            await lineup_json(stack.service_url("catalog")),
            admin_dsn=postgres_dsn(),
            database=database,
            work_dir=Path(work),
        ) as ceilings:
            yield ceilings


@contextlib.asynccontextmanager
async def running_ceilings(
    lineup_json: bytes, *, admin_dsn: str, database: str, work_dir: Path
) -> AsyncIterator[Ceilings]:
    """Start the three ceiling apps (the lineup they serve given), stop them on the way out."""
    from bench.stack import free_port

    lineup_file = work_dir / "ceiling-lineup.json"
    lineup_file.write_bytes(lineup_json)
    dsn = await _prepare_database(admin_dsn, database)
    ports = {kind: free_port() for kind in APPS}
    env = {
        **os.environ,
        LINEUP_FILE_VAR: str(lineup_file),
        UPSTREAM_VAR: f"http://{HOST}:{ports['framework']}",
        DSN_VAR: dsn,
    }
    processes: dict[str, asyncio.subprocess.Process] = {}
    log = (work_dir / "ceilings.log").open("ab")
    try:
        for kind, port in ports.items():
            processes[kind] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.ceilings",
                kind,
                str(port),
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        for kind, port in ports.items():
            await _wait_listening(port, processes[kind], kind)
        yield Ceilings(
            framework_url=f"http://{HOST}:{ports['framework']}",
            proxy_url=f"http://{HOST}:{ports['proxy']}",
            write_url=f"http://{HOST}:{ports['write']}",
            pids={kind: p.pid for kind, p in processes.items()},
        )
    finally:
        log.close()
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in processes.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        await _drop_database(admin_dsn, database)


def write_body(number: int) -> bytes:
    """The JSON body of the write ceiling's ``POST /rows`` (one per request)."""
    return json.dumps(
        {"member_id": str(uuid.UUID(int=number + 1)), "quantity": 1, "note": "bench"}
    ).encode()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
