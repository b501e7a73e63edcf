"""The local stack a benchmark runs against, with an SMTP sink it controls.

``local_stack()`` starts ``python -m devrun`` (the same processes ``make dev``
runs) on a free port base, with its own databases (``DEVRUN_DB_PREFIX``,
default ``bench_``, dropped before and after), its own exchange, queues and
Redis namespace (``DEVRUN_NAMESPACE``, default ``bench``), the gateway's
``benchmark`` rate-limit profile, and the notification service mailing to an
in-process :class:`~bench.mailsink.MailSink`. It waits until devrun reports
every process ready and the demo data loaded, and stops the stack (SIGINT, as
Ctrl-C) on the way out.

Reuse: with ``BENCH_GATEWAY_URL`` set, no stack is started; the service ports
are counted from the gateway's (devrun's scheme) unless ``BENCH_CATALOG_URL``
is set, and the sink listens on ``BENCH_SMTP_PORT``, where the reused stack's
notification service must be sending. ``python -m bench.stack`` starts such a
stack and prints the variables to export.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import redis.asyncio as aioredis

from bench.mailsink import MailSink

HOST = "127.0.0.1"
SERVICES = ("identity", "catalog", "ordering", "billing", "notification")
#: Offsets of the service ports from the gateway's (devrun.plan's port scheme).
PORT_OFFSETS = {"identity": 1, "catalog": 2, "ordering": 3, "billing": 4, "notification": 5}
#: Seconds devrun gets to migrate, start, become ready and seed.
START_TIMEOUT = float(os.environ.get("BENCH_START_TIMEOUT", "300"))


@dataclass
class Stack:
    """Where the benchmark reaches the running system."""

    gateway_url: str
    mail: MailSink
    started: bool
    #: The devrun supervisor's process id (every process of the stack is its child),
    #: None for a reused stack.
    devrun_pid: int | None = None
    #: Prefix of the stack's databases (``<prefix><service>``), None for a reused stack.
    db_prefix: str | None = None

    def database_dsn(self, app: str) -> str | None:
        """asyncpg DSN of ``app``'s database, when this run started the stack."""
        if self.db_prefix is None:
            return None
        return f"{postgres_dsn().rsplit('/', 1)[0]}/{self.db_prefix}{app}"

    def service_url(self, app: str) -> str:
        """The base URL of ``app``'s first API replica (bypassing the gateway)."""
        explicit = os.environ.get(f"BENCH_{app.upper()}_URL")
        if explicit:
            return explicit.rstrip("/")
        port = urlsplit(self.gateway_url).port or 80
        return f"http://{HOST}:{port + PORT_OFFSETS[app]}"


#: Ports the benchmark's servers listen on are chosen below Linux's default ephemeral
#: range (32768-60999): a port there may be taken at any moment by some client
#: connection's local end, and a busy machine has thousands of those.
_PORT_RANGE = (12000, 32000)


def bindable(port: int) -> bool:
    """Whether a server could bind ``port`` on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port below the ephemeral range that a server can bind right now."""
    for _ in range(200):
        port = random.randrange(*_PORT_RANGE)
        if bindable(port) and not listening(port):
            return port
    raise RuntimeError("no free port for a benchmark server")


def listening(port: int) -> bool:
    """Whether something accepts connections on ``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port_base() -> int:
    """A base port (multiple of 100, below the ephemeral range) whose gateway, service
    and worker ports (base to base + 10) are all free."""
    for _ in range(100):
        base = random.randrange(*_PORT_RANGE) // 100 * 100
        ports = range(base, base + 11)
        if all(bindable(p) for p in ports) and not any(listening(p) for p in ports):
            return base
    raise RuntimeError("no free port range for the benchmark stack")


def postgres_dsn() -> str:
    return os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _drop_databases(prefix: str) -> None:
    # Only this stack's own databases: <prefix><service>.
    conn = await asyncpg.connect(postgres_dsn())
    try:
        for app in SERVICES:
            await conn.execute(f'DROP DATABASE IF EXISTS "{prefix}{app}" WITH (FORCE)')
    finally:
        await conn.close()


async def _clear_redis(namespace: str) -> None:
    # Cached pages and throttles of an earlier run in this namespace only.
    client = aioredis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def stack_environment(base: int, smtp_port: int, var_dir: Path) -> dict[str, str]:
    """The environment of the benchmark's devrun process."""
    env = {**os.environ}
    env.update(
        DEVRUN_PORT_BASE=str(base),
        DEVRUN_DB_PREFIX=os.environ.get("DEVRUN_DB_PREFIX", "bench_"),
        DEVRUN_NAMESPACE=os.environ.get("DEVRUN_NAMESPACE", "bench"),
        DEVRUN_VAR_DIR=str(var_dir),
        GATEWAY_RATE_LIMIT_PROFILE="benchmark",
        NOTIFICATION_SMTP_HOST=HOST,
        NOTIFICATION_SMTP_PORT=str(smtp_port),
        # The lineup and the operator only: the figures count the bench's own members.
        BIZMALL_DEMO_MEMBER_EMAIL="",
    )
    # The services' databases on the server BENCH_POSTGRES_DSN names (local by default),
    # where the suite creates, reads and drops them; explicit URLs still win.
    server = postgres_dsn().rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    for app in SERVICES:
        env.setdefault(f"{app.upper()}_DATABASE_URL", f"{server}/{env['DEVRUN_DB_PREFIX']}{app}")
    return env


class DevrunProcess:
    """``python -m devrun`` in its own session, its output in a log file."""

    def __init__(self, env: dict[str, str], var_dir: Path) -> None:
        self.env = env
        self.log_path = var_dir / "devrun.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start devrun and wait until it reports the stack up (or fails)."""
        log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "devrun",
            env=self.env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while "bizmall is up" not in self.log_path.read_text(errors="replace"):
            if self.process.returncode is not None:
                raise RuntimeError(f"devrun ended early:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"devrun not up after {START_TIMEOUT:g}s:\n{self.tail()}")
            await asyncio.sleep(0.5)

    def tail(self, lines: int = 40) -> str:
        """The end of devrun's output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def stop(self) -> None:
        """SIGINT (devrun stops every child), then SIGKILL to its group if it hangs."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def wait_ready(gateway_url: str, timeout: float = 60) -> None:
    """Wait until the gateway reports every service ready through itself."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        for app in SERVICES:
            while True:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{gateway_url}/api/v1/health/{app}") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} not ready through {gateway_url}")
                await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def local_stack(*, need_mail: bool = True) -> AsyncIterator[Stack]:
    """A ready stack (started here, or reused via ``BENCH_GATEWAY_URL``) and its mail sink."""
    reused = os.environ.get("BENCH_GATEWAY_URL")
    if reused:
        smtp_port = int(os.environ.get("BENCH_SMTP_PORT", "0")) or free_port()
        if need_mail and "BENCH_SMTP_PORT" not in os.environ:
            print("warning: BENCH_SMTP_PORT unset; the reused stack's mail will not arrive here")
        sink = MailSink(HOST, smtp_port)
        sink.start()
        try:
            await wait_ready(reused.rstrip("/"))
            yield Stack(gateway_url=reused.rstrip("/"), mail=sink, started=False)
        finally:
            sink.stop()
        return

    prefix = os.environ.get("DEVRUN_DB_PREFIX", "bench_")
    namespace = os.environ.get("DEVRUN_NAMESPACE", "bench")
    keep = os.environ.get("BENCH_KEEP_DATA") == "1"
    var_dir = Path(tempfile.mkdtemp(prefix="bizmall-bench-"))
    base = free_port_base()
    sink = MailSink(HOST, free_port())
    devrun = DevrunProcess(stack_environment(base, sink.port, var_dir), var_dir)
    await _drop_databases(prefix)
    await _clear_redis(namespace)
    sink.start()
    failed = False
    try:
        print(f"starting the stack on port base {base} (log: {devrun.log_path}) ...", flush=True)
        started_at = time.monotonic()
        await devrun.start()
        gateway_url = f"http://{HOST}:{base}"
        await wait_ready(gateway_url)
        print(f"stack up in {time.monotonic() - started_at:.0f}s at {gateway_url}", flush=True)
        assert devrun.process is not None
        yield Stack(
            gateway_url=gateway_url,
            mail=sink,
            started=True,
            devrun_pid=devrun.process.pid,
            db_prefix=prefix,
        )
    except BaseException:
        failed = True
        raise
    finally:
        await devrun.stop()
        sink.stop()
        if not keep:
            await _drop_databases(prefix)
        if failed:
            print(f"devrun output kept in {devrun.log_path}", file=sys.stderr)
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


async def _serve() -> None:
    """Run a benchmark stack until Ctrl-C; its mail goes to ``BENCH_SMTP_PORT``."""
    smtp_port = free_port()
    base = free_port_base()
    var_dir = Path(tempfile.mkdtemp(prefix="bizmall-bench-"))
    prefix = os.environ.get("DEVRUN_DB_PREFIX", "bench_")
    await _drop_databases(prefix)
    await _clear_redis(os.environ.get("DEVRUN_NAMESPACE", "bench"))
    devrun = DevrunProcess(stack_environment(base, smtp_port, var_dir), var_dir)
    # Explicit handlers: a shell starting this in the background ignores SIGINT for it.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await devrun.start()
        print(f"export BENCH_GATEWAY_URL=http://{HOST}:{base} BENCH_SMTP_PORT={smtp_port}")
        print(f"(devrun output: {devrun.log_path}; Ctrl-C stops the stack)", flush=True)
        await stopping.wait()
    finally:
        await devrun.stop()
        await _drop_databases(prefix)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(_serve())
