"""Which HTTP client should the gateway forward with? Measured, not guessed.

Starts a bare upstream (a FastAPI app answering a ~1 KB typed JSON list), a
pass-through proxy on each candidate client (httpx, aiohttp) and the real
gateway in front of it, then drives each with the same closed-loop load and
prints requests per second. Every server is its own process on 127.0.0.1
(uvicorn, uvloop, httptools, one worker); the load generator runs here.

    uv run python gateway/bench/proxy_clients.py [--seconds 5] [--concurrency 32]

The gateway logs one access line per request, as in production;
``BENCH_LOG_LEVEL=WARNING`` shows what that line costs.

Numbers are relative: on a small machine the load generator competes with
the server for the CPU. The gateway's choice (aiohttp) was made on them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp

PATH = "/api/v1/services"
CANDIDATES = ("bare", "httpx", "aiohttp", "gateway")
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"host"})


# --- the servers (each run in its own process: `serve <kind> <port> <upstream>`) ---


def upstream_app() -> Any:
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Service(BaseModel):
        id: str
        name: str
        category: str
        monthly_fee: int

    class Page(BaseModel):
        items: list[Service]
        next_cursor: str | None

    page = Page(
        items=[
            Service(
                id=f"svc-{i:04d}", name=f"Managed network {i}", category="network", monthly_fee=5500
            )
            for i in range(12)
        ],
        next_cursor=None,
    )
    app = FastAPI()

    @app.get(PATH, response_model=Page)
    async def services() -> Page:
        return page

    return app


def httpx_proxy(upstream: str) -> Any:
    import httpx

    client = httpx.AsyncClient(
        base_url=upstream, limits=httpx.Limits(max_keepalive_connections=100)
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
        request = client.build_request(scope["method"], scope["path"], headers=headers)
        response = await client.send(request, stream=True)
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": out}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    return app


def aiohttp_proxy(upstream: str) -> Any:
    session: aiohttp.ClientSession | None = None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal session
        if scope["type"] != "http":
            return
        if session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100), auto_decompress=False
            )
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k not in HOP_BY_HOP]
        async with session.request(scope["method"], upstream + scope["path"], headers=headers) as r:
            out = [(k, v) for k, v in r.raw_headers if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": r.status, "headers": out})
            async for chunk in r.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    return app


def gateway_app(upstream: str) -> Any:
    from gateway.app import create_app
    from gateway.config import Settings
    from servicekit.logging import configure_logging

    configure_logging("gateway", os.environ.get("BENCH_LOG_LEVEL", "INFO"))
    return create_app(Settings(catalog_urls=upstream, rate_limit_profile="benchmark"))


def serve(kind: str, port: int, upstream: str) -> None:
    import uvicorn

    apps = {
        "bare": lambda: upstream_app(),
        "httpx": lambda: httpx_proxy(upstream),
        "aiohttp": lambda: aiohttp_proxy(upstream),
        "gateway": lambda: gateway_app(upstream),
    }
    uvicorn.run(
        apps[kind](),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="auto" if kind in ("bare", "gateway") else "off",
    )


# --- the driver ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def wait_until_up(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + PATH) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, seconds: float, concurrency: int) -> tuple[float, int]:
    """Closed-loop load: ``concurrency`` clients, each sending the next request on an answer."""
    done = 0
    failed = 0
    stop_at = 0.0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal done, failed
            while time.monotonic() < stop_at:
                async with session.get(url + PATH) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1
                    else:
                        failed += 1

        stop_at = time.monotonic() + 1.0  # warm-up: connections, caches
        await asyncio.gather(*(client() for _ in range(concurrency)))
        done = failed = 0
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return done / elapsed, failed


def start(kind: str, upstream: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "serve", kind, str(port), upstream],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


async def measure(candidates: list[str], seconds: float, concurrency: int) -> None:
    upstream, upstream_url = start("bare", "")
    try:
        await wait_until_up(upstream_url, time.monotonic() + 20)
        print(
            f"{'candidate':<10} {'req/s':>8} {'failed':>7}   ({seconds:g} s, {concurrency} clients)"
        )
        for kind in candidates:
            if kind == "bare":
                url, proxy = upstream_url, None
            else:
                proxy, url = start(kind, upstream_url)
            try:
                await wait_until_up(url, time.monotonic() + 20)
                rate, failed = await load(url, seconds, concurrency)
            finally:
                if proxy is not None:
                    stop(proxy)
            print(f"{kind:<10} {rate:>8.0f} {failed:>7}")
    finally:
        stop(upstream)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per candidate")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument(
        "candidates", nargs="*", help=f"any of {', '.join(CANDIDATES)} (default: all)"
    )
    args = parser.parse_args()
    unknown = set(args.candidates) - set(CANDIDATES)
    if unknown:
        parser.error(f"unknown candidates: {', '.join(sorted(unknown))}")
    asyncio.run(measure(args.candidates or list(CANDIDATES), args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
