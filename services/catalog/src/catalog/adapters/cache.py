"""The Redis cache of the public catalog reads.

Entries are keyed under a generation number; an ops change bumps the
generation after its commit, so every earlier entry is unreachable at once
(and expires by its TTL). A reader that raced the change may store a stale
answer, but under the old generation, which nobody reads any more.

Redis holds copies only: when it fails, reads go to the database and a failed
bump leaves entries to expire within ``ttl_seconds``.

What is cached is bounded whatever the callers send (issue 19 item 10): free
text searches are never cached (``api/public.py``), and the answers whose names
come from the client's own choice of filters (lineup pages: category, cursor,
limit) are stored only within a budget of :data:`LISTING_BUDGET` new entries
per ``ttl_seconds``, counted in Redis by all replicas together; past it a
listing is answered from the database and not stored. So the cache holds at
most about twice the budget of listings besides one entry per service, version
and calendar that exists. The cache's Redis is the cache's alone (Compose and
Kubernetes run it with ``maxmemory`` and ``allkeys-lru``), so even a full cache
evicts cache entries, never a rate limit, a lockout or a login challenge.

A read is one round trip: a small server-side script looks the generation up
and reads the entry under it (two round trips were 12-27% of a cached read's
time in the issue 9 profiles). The script is run by its SHA1 with ``EVALSHA``
directly, not through redis-py's ``Script`` object: its ``__call__`` checks
``isinstance(client, Pipeline)``, and ``Pipeline`` is a class of a
runtime-checkable protocol (``redis.typing.CommandsProtocol``), whose
``isinstance`` was 12.6% of the lineup's busy samples (bench/README.md, "Latest results").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from servicekit.logging import get_logger
from servicekit.redis import Namespaced

_log = get_logger(__name__)

#: KEYS[1]: the generation's key; ARGV: the entry key's text before and after the
#: generation. Answers the entry's body and etag (nil when absent).
_READ_ENTRY = """
local generation = redis.call('GET', KEYS[1]) or '0'
return redis.call('HMGET', ARGV[1] .. generation .. ARGV[2], 'body', 'etag')
"""
_READ_ENTRY_SHA = hashlib.sha1(_READ_ENTRY.encode()).hexdigest()

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

#: New listing entries (lineup pages) stored per TTL window, across all replicas.
LISTING_BUDGET = 500


@dataclass(frozen=True)
class CachedBody:
    """A serialised answer and its entity tag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CachedBody:
        """``body`` with a strong ETag derived from its bytes."""
        return cls(body=body, etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"')


class LineupCache:
    """Cached public answers (``name`` is the request, e.g. its path and query)."""

    def __init__(
        self,
        redis: Any,
        namespace: str,
        *,
        ttl_seconds: int = 300,
        listing_budget: int = LISTING_BUDGET,
    ) -> None:
        self._redis = redis
        self._keys = Namespaced(namespace)
        self._ttl = ttl_seconds
        self._listing_budget = listing_budget
        self._put_budgeted = redis.register_script(_PUT_BUDGETED)

    async def _generation(self) -> bytes:
        value = await self._redis.get(self._generation_key)
        return value or b"0"

    async def get(self, name: str) -> CachedBody | None:
        """The cached answer for ``name`` in the current generation, if any."""
        before, _, after = self._entry_key(b"\x00", name).partition("\x00")
        try:
            entry = await self._read_entry(before, after)
        except RedisError as exc:
            _log.warning("catalog cache unavailable", error=str(exc))
            return None
        if entry[0] is None or entry[1] is None:
            return None
        return CachedBody(body=entry[0], etag=entry[1].decode())

    async def _read_entry(self, before: str, after: str) -> list[bytes | None]:
        try:
            return await self._redis.evalsha(
                _READ_ENTRY_SHA, 1, self._generation_key, before, after
            )
        except NoScriptError:
            # A restarted or flushed Redis forgot the script: EVAL runs and caches it again.
            return await self._redis.eval(_READ_ENTRY, 1, self._generation_key, before, after)

    async def put(self, name: str, answer: CachedBody, *, listing: bool = False) -> None:
        """Store ``answer`` for ``name`` in the current generation.

        ``listing``: the name comes from filters the client chose; it is stored only
        while this window's budget of :data:`LISTING_BUDGET` entries lasts.
        """
        try:
            key = self._entry_key(await self._generation(), name)
            if listing:
                budget_key = self._keys("catalog", "listing-budget")
                await self._put_budgeted(
                    keys=[key, budget_key],
                    args=[answer.body, answer.etag, self._ttl, self._listing_budget],
                )
                return
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={"body": answer.body, "etag": answer.etag})
                pipe.expire(key, self._ttl)
                await pipe.execute()
        except RedisError as exc:
            _log.warning("catalog cache unavailable", error=str(exc))

    async def invalidate(self) -> None:
        """Make every cached answer unreachable (call after an ops change committed)."""
        try:
            await self._redis.incr(self._generation_key)
        except RedisError as exc:
            _log.warning("catalog cache not invalidated; entries expire by TTL", error=str(exc))

    @property
    def _generation_key(self) -> str:
        return self._keys("catalog", "generation")

    def _entry_key(self, generation: bytes, name: str) -> str:
        return self._keys("catalog", "public", generation.decode(), name)
