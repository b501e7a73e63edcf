"""The two-level cache of the public catalog reads: this process's memory, then Redis.

**Second level (Redis, shared by every replica).** Entries are keyed under a
generation number; an ops change bumps the generation after its commit, so every
earlier entry is unreachable at once (and expires by its TTL). An entry is
stored under the generation that was read *before* its answer was rendered: a
reader that raced a change stores its possibly stale answer under the old
generation, which nobody reads any more. A read is one round trip: a small
server-side script looks the generation up and reads the entry under it (two
round trips were 12-27% of a cached read's time in the issue 9 profiles). The
scripts are run by their SHA1 with ``EVALSHA`` directly, not through redis-py's
``Script`` object: its ``__call__`` checks ``isinstance(client, Pipeline)``, and
``Pipeline`` is a class of a runtime-checkable protocol
(``redis.typing.CommandsProtocol``), whose ``isinstance`` was 12.6% of the
lineup's busy samples (bench/README.md, "Latest results").

**First level (this process, issue 20).** Even that one round trip was 14-24%
of a cached read's time, so each API process keeps the bytes and ETag of the
answers it served in a :class:`FirstLevel`, tagged with the generation they were
read under. It is kept exact by three things, run by :meth:`LineupCache.start`
in the app's lifespan:

- *The change's own message.* :meth:`LineupCache.invalidate` bumps the
  generation and publishes on a Redis channel in one script; every replica's
  subscriber drops its first level on each message (and on every
  (re)subscription, since messages sent while it was away are lost), usually
  within milliseconds of the commit. The replica that made the change drops its
  own first level before the ops answer leaves, so a change is visible at once
  where it was made.
- *The generation check, the safety net.* A poller reads the generation every
  :data:`POLL_SECONDS` and drops the first level when it moved. The first level
  answers only while the last check that *confirmed* its generation was *sent*
  less than :data:`VERIFIED_FOR_SECONDS` ago. A check sent after a change's
  bump sees the new generation, so an answer of the first level can be stale
  for at most :data:`VERIFIED_FOR_SECONDS` (0.5 s) after a change's bump, on
  every replica, whatever became of its message: lost, late, or a subscriber
  that silently lost its connection. A check sent before the last drop is
  ignored (it may have read the generation before the change that caused it).
  Measured on two replicas under load (``bench/stale_window.py``): p50 31 ms,
  max 159 ms from the change's ops answer with its message; p50 76 ms, max 211 ms
  from a bump whose message was lost.
- *Redis down.* A failed check makes the first level unusable until a check
  succeeds again; reads then go to Redis (failing fast) and the database, as
  before issue 20. So without Redis the first level never answers, rather than
  answering stale.

Where the generation cannot be bumped (Redis failed during the change), both
levels keep the old answers until their TTL of ``ttl_seconds`` (the first level
keeps the Redis TTL, so it is never staler than the second); the replica that
made the change drops its own first level anyway.

Answers keyed by a date (the order calendar's ``start-dates``, keyed by the
effective order date that turns over at the 13:00 cut-off) carry the date in
their name, so after the cut-off the name changes and the old entry is never
read again; the TTL and the LRU bound remove it.

**Bounded whatever the callers send (issue 19 item 10).** Free text searches are
never cached (``api/public.py``). The answers whose names come from the client's
own choice of filters (lineup pages: category, cursor, limit) are stored in
Redis only within a budget of :data:`LISTING_BUDGET` new entries per
``ttl_seconds``, counted in Redis by all replicas together; past it a listing is
answered from the database and stored nowhere. So Redis holds at most about
twice the budget of listings besides one entry per service, version and
calendar that exists. The cache's Redis is the cache's alone (Compose and
Kubernetes run it with ``maxmemory`` and ``allkeys-lru``), so even a full cache
evicts cache entries, never a rate limit, a lockout or a login challenge. The
first level keeps listings in an LRU of their own
(:data:`LOCAL_LISTING_ENTRIES`), apart from the services, versions and calendars
(:data:`LOCAL_ENTRIES`), both also bounded in bytes: a client cycling filters
only evicts other listings from memory, never a service's page.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from servicekit.logging import get_logger
from servicekit.redis import Namespaced

_log = get_logger(__name__)

#: KEYS[1]: the generation's key; ARGV: the entry key's text before and after the
#: generation. Answers the generation, the entry's body and its etag (nil when absent).
_READ_ENTRY = """
local generation = redis.call('GET', KEYS[1]) or '0'
local entry = redis.call('HMGET', ARGV[1] .. generation .. ARGV[2], 'body', 'etag')
return {generation, entry[1], entry[2]}
"""

#: KEYS[1]: the entry, KEYS[2]: the budget's counter; ARGV: body, etag, TTL, budget.
#: Stores the entry unless this window's budget is spent; answers 1 when stored.
_PUT_BUDGETED = """
local spent = redis.call('INCR', KEYS[2])
if spent == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
if spent > tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], 'body', ARGV[1], 'etag', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

#: KEYS[1]: the generation's key; ARGV[1]: the channel. Bumps the generation and tells
#: every replica, in one round trip; answers the new generation.
_BUMP = """
local generation = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], generation)
return generation
"""

#: New listing entries (lineup pages) stored per TTL window, across all replicas.
LISTING_BUDGET = 500

#: How often each API process reads the generation (the safety net under pub/sub).
POLL_SECONDS = 0.1
#: The first level answers only while a generation check sent less than this long
#: ago confirmed it: the stale window across replicas when a change's message is lost.
VERIFIED_FOR_SECONDS = 0.5
#: Pause before subscribing again after the subscription failed (Redis down).
RESUBSCRIBE_SECONDS = 0.5

#: The first level's bounds: services, versions and calendars …
LOCAL_ENTRIES = 4096
LOCAL_BYTES = 64 * 1024 * 1024
#: … and, apart, the lineup pages whose names the clients choose.
LOCAL_LISTING_ENTRIES = 256
LOCAL_LISTING_BYTES = 16 * 1024 * 1024


def _script(source: str) -> tuple[str, str]:
    return source, hashlib.sha1(source.encode()).hexdigest()


_READ_ENTRY_SCRIPT = _script(_READ_ENTRY)
_PUT_BUDGETED_SCRIPT = _script(_PUT_BUDGETED)
_BUMP_SCRIPT = _script(_BUMP)


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A serialised answer and its entity tag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CachedBody:
        """``body`` with a strong ETag derived from its bytes."""
        return cls(body=body, etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"')


@dataclass(frozen=True, slots=True)
class _Held:
    """An answer in the first level, the generation it was read under, and when."""

    answer: CachedBody
    generation: bytes
    stored_at: float


class BoundedLru:
    """At most ``max_entries`` answers holding at most ``max_bytes`` of bodies; the
    least recently used goes first. A body larger than ``max_bytes`` is not kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, _Held] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """The bodies' size in bytes, all entries together."""
        return self._bytes

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def get(self, name: str) -> _Held | None:
        """The entry for ``name`` (now the most recently used), if kept."""
        held = self._items.get(name)
        if held is not None:
            self._items.move_to_end(name)
        return held

    def put(self, name: str, held: _Held) -> None:
        """Keep ``held`` for ``name``, evicting the least recently used past the bounds."""
        size = len(held.answer.body)
        if size > self.max_bytes:
            return
        previous = self._items.pop(name, None)
        if previous is not None:
            self._bytes -= len(previous.answer.body)
        self._items[name] = held
        self._bytes += size
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= len(evicted.answer.body)

    def clear(self) -> None:
        """Forget every entry."""
        self._items.clear()
        self._bytes = 0


class FirstLevel:
    """One process's copies of public answers, usable only while their generation
    was confirmed recently (see the module's docstring for the rules).

    ``clock`` is a monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        ttl_seconds: float,
        verified_for: float = VERIFIED_FOR_SECONDS,
        entries: int = LOCAL_ENTRIES,
        max_bytes: int = LOCAL_BYTES,
        listing_entries: int = LOCAL_LISTING_ENTRIES,
        listing_bytes: int = LOCAL_LISTING_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.named = BoundedLru(entries, max_bytes)
        self.listings = BoundedLru(listing_entries, listing_bytes)
        self._ttl = ttl_seconds
        self._verified_for = verified_for
        self._clock = clock
        #: The generation the entries belong to (None: not known yet).
        self.generation: bytes | None = None
        #: When the check that confirmed :attr:`generation` was sent.
        self._verified_at = -math.inf
        #: When the entries were last dropped: older checks say nothing any more.
        self._dropped_at = -math.inf
        #: Counts the drops: a read that began before one must not store its answer.
        self.epoch = 0

    def usable(self) -> bool:
        """Whether the entries may answer now (their generation confirmed recently)."""
        return self._clock() - self._verified_at < self._verified_for

    def get(self, name: str, *, listing: bool = False) -> CachedBody | None:
        """The kept answer for ``name``, if any and still exact."""
        now = self._clock()
        if now - self._verified_at >= self._verified_for:
            return None
        held = (self.listings if listing else self.named).get(name)
        if held is None or held.generation != self.generation:
            return None
        if now - held.stored_at >= self._ttl:
            return None
        return held.answer

    def store(
        self, name: str, answer: CachedBody, generation: bytes, epoch: int, *, listing: bool = False
    ) -> None:
        """Keep ``answer``, read under ``generation`` by a read that began at ``epoch``,
        unless the entries were dropped since or belong to another generation."""
        if epoch != self.epoch or generation != self.generation:
            return
        held = _Held(answer=answer, generation=generation, stored_at=self._clock())
        (self.listings if listing else self.named).put(name, held)

    def drop(self) -> None:
        """Forget every entry and stop answering until a newer check confirms a
        generation (a change was announced, or the subscription restarted)."""
        self.named.clear()
        self.listings.clear()
        self.epoch += 1
        self._dropped_at = self._clock()
        self._verified_at = -math.inf

    def confirm(self, generation: bytes, sent_at: float) -> None:
        """A generation check sent at ``sent_at`` read ``generation``."""
        if sent_at <= self._dropped_at:
            return
        if generation != self.generation:
            self.named.clear()
            self.listings.clear()
            self.epoch += 1
            self.generation = generation
        self._verified_at = max(self._verified_at, sent_at)

    def unverified(self) -> None:
        """A generation check failed: stop answering (the entries may be stale)."""
        self._verified_at = -math.inf

    def now(self) -> float:
        """The clock the checks are timed by."""
        return self._clock()


class LineupCache:
    """Cached public answers (``name`` is the request, e.g. its path and query).

    Without :meth:`start` (a CLI process, a test app without its lifespan) only the
    second level is used: nothing keeps a first level exact there.
    """

    def __init__(
        self,
        redis: Any,
        namespace: str,
        *,
        ttl_seconds: int = 300,
        listing_budget: int = LISTING_BUDGET,
        local: FirstLevel | None = None,
    ) -> None:
        self._redis = redis
        self._keys = Namespaced(namespace)
        self._ttl = ttl_seconds
        self._listing_budget = listing_budget
        self.local = local or FirstLevel(ttl_seconds=ttl_seconds)
        self._generation_key = self._keys("catalog", "generation")
        self._budget_key = self._keys("catalog", "listing-budget")
        #: Where :meth:`invalidate` announces a change to every replica.
        self.channel = self._keys("catalog", "changes")
        self._check_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # -- reads --------------------------------------------------------------------

    async def answer(
        self, name: str, render: Callable[[], Awaitable[bytes]], *, listing: bool = False
    ) -> CachedBody:
        """The answer for ``name``: from this process, else Redis, else ``render``
        (then kept in both). ``listing``: the name comes from filters the client chose;
        it is stored only while this window's budget of :data:`LISTING_BUDGET` lasts."""
        local = self.local
        kept = local.get(name, listing=listing)
        if kept is not None:
            return kept
        epoch = local.epoch
        generation, answer = await self._read(name)
        if answer is not None:
            self._keep(name, answer, generation, epoch, listing=listing)
            return answer
        answer = CachedBody.of(await render())
        if generation is not None and await self._put(name, answer, generation, listing=listing):
            self._keep(name, answer, generation, epoch, listing=listing)
        return answer

    def _keep(
        self, name: str, answer: CachedBody, generation: bytes | None, epoch: int, *, listing: bool
    ) -> None:
        local = self.local
        if generation is None or generation != local.generation:
            # Redis knows another generation than the last check: check again now.
            self._check_now.set()
            return
        local.store(name, answer, generation, epoch, listing=listing)

    async def _read(self, name: str) -> tuple[bytes | None, CachedBody | None]:
        """The current generation and the entry under it (None, None: Redis failed)."""
        before, _, after = self._entry_key(b"\x00", name).partition("\x00")
        try:
            generation, body, etag = await self._eval(
                _READ_ENTRY_SCRIPT, self._generation_key, before, after
            )
        except RedisError as exc:
            _log.warning("catalog cache unavailable", error=str(exc))
            return None, None
        if body is None or etag is None:
            return generation, None
        return generation, CachedBody(body=body, etag=etag.decode())

    async def _put(
        self, name: str, answer: CachedBody, generation: bytes, *, listing: bool
    ) -> bool:
        """Store ``answer`` under ``generation`` (read before it was rendered); True
        when stored."""
        key = self._entry_key(generation, name)
        try:
            if listing:
                stored = await self._eval(
                    _PUT_BUDGETED_SCRIPT,
                    key,
                    self._budget_key,
                    answer.body,
                    answer.etag,
                    self._ttl,
                    self._listing_budget,
                    keys=2,
                )
                return bool(stored)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={"body": answer.body, "etag": answer.etag})
                pipe.expire(key, self._ttl)
                await pipe.execute()
            return True
        except RedisError as exc:
            _log.warning("catalog cache unavailable", error=str(exc))
            return False

    async def _eval(self, script: tuple[str, str], *args: Any, keys: int = 1) -> Any:
        source, sha = script
        try:
            return await self._redis.evalsha(sha, keys, *args)
        except NoScriptError:
            # A restarted or flushed Redis forgot the script: EVAL runs and caches it again.
            return await self._redis.eval(source, keys, *args)

    # -- changes ------------------------------------------------------------------

    async def invalidate(self) -> None:
        """Make every cached answer unreachable on every replica (call after an ops
        change committed)."""
        try:
            await self._eval(_BUMP_SCRIPT, self._generation_key, self.channel)
        except RedisError as exc:
            _log.warning("catalog cache not invalidated; entries expire by TTL", error=str(exc))
        finally:
            # After the bump: a read of this process that began before it cannot keep
            # its answer, and no check sent before it counts any more.
            self.local.drop()
            self._check_now.set()

    # -- keeping the first level exact ----------------------------------------------

    async def start(self) -> None:
        """Run the subscriber and the generation check (the app's lifespan calls this)."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._listen(), name="catalog-cache-listen"),
            asyncio.create_task(self._check(), name="catalog-cache-check"),
        ]

    async def stop(self) -> None:
        """Stop both tasks; the first level stops answering."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.local.drop()

    async def _listen(self) -> None:
        """Drop the first level on every message of :attr:`channel`, and on every
        (re)subscription: what was published while away is lost."""
        failing = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    # Subscription confirmations are messages too: each drops.
                    if await pubsub.get_message(timeout=1.0) is not None:
                        self.local.drop()
                        self._check_now.set()
                        failing = False
            except (RedisError, OSError) as exc:
                self.local.drop()
                if not failing:
                    _log.warning("catalog cache subscription lost", error=str(exc))
                failing = True
                await asyncio.sleep(RESUBSCRIBE_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _check(self) -> None:
        """Read the generation every :data:`POLL_SECONDS` (at once when asked)."""
        failing = False
        while True:
            self._check_now.clear()
            sent_at = self.local.now()
            try:
                generation = await self._redis.get(self._generation_key) or b"0"
            except RedisError as exc:
                self.local.unverified()
                if not failing:
                    _log.warning("catalog cache generation unreadable", error=str(exc))
                failing = True
            else:
                self.local.confirm(generation, sent_at)
                failing = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._check_now.wait()

    def _entry_key(self, generation: bytes, name: str) -> str:
        return self._keys("catalog", "public", generation.decode(), name)
