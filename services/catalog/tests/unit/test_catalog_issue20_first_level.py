"""Issue 20: the rules of the catalog's in-process first-level cache, on a clock of
the test's own — its bounds and when it may answer at all."""

from __future__ import annotations

from catalog.adapters.cache import BoundedLru, CachedBody, FirstLevel, _Held


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def held(body: bytes, generation: bytes = b"1") -> _Held:
    return _Held(answer=CachedBody.of(body), generation=generation, stored_at=0.0)


def first_level(clock: Clock, **bounds: int) -> FirstLevel:
    return FirstLevel(ttl_seconds=300, verified_for=0.5, clock=clock, **bounds)


def test_the_lru_keeps_at_most_its_entries_and_evicts_the_least_recently_used() -> None:
    lru = BoundedLru(max_entries=3, max_bytes=1_000_000)
    for name in ("a", "b", "c"):
        lru.put(name, held(name.encode()))
    assert lru.get("a") is not None  # "a" is now the most recently used
    for n in range(100):
        lru.put(f"filter-{n}", held(b"x"))
        assert len(lru) <= 3
    assert len(lru) == 3
    assert "a" not in lru and "b" not in lru
    assert "filter-99" in lru and "filter-97" in lru


def test_the_lru_keeps_at_most_its_bytes_and_refuses_a_body_larger_than_all() -> None:
    lru = BoundedLru(max_entries=100, max_bytes=10)
    lru.put("a", held(b"1234"))
    lru.put("b", held(b"1234"))
    lru.put("c", held(b"1234"))
    assert ("a" in lru, "b" in lru, "c" in lru) == (False, True, True)
    assert lru.bytes == 8
    lru.put("b", held(b"12"))  # replacing an entry counts its new size only
    assert lru.bytes == 6
    lru.put("huge", held(b"x" * 11))
    assert "huge" not in lru and lru.bytes == 6
    lru.clear()
    assert (len(lru), lru.bytes) == (0, 0)


def test_listings_are_bounded_apart_from_the_services_pages() -> None:
    clock = Clock()
    local = first_level(clock, entries=10, listing_entries=2)
    local.confirm(b"1", clock.now)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    for n in range(50):
        local.store(f"lineup:{n}", CachedBody.of(b"l"), b"1", local.epoch, listing=True)
    assert len(local.listings) == 2
    assert local.get("service:1") == CachedBody.of(b"s")
    assert local.get("lineup:49", listing=True) is not None


def test_nothing_answers_before_a_check_confirmed_the_generation() -> None:
    clock = Clock()
    local = first_level(clock)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    assert local.get("service:1") is None and not local.usable()
    local.confirm(b"1", clock.now)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    assert local.get("service:1") == CachedBody.of(b"s")


def test_answers_stop_when_no_check_confirmed_them_within_the_window() -> None:
    clock = Clock()
    local = first_level(clock)
    local.confirm(b"1", clock.now)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    clock.now += 0.49
    assert local.get("service:1") is not None
    clock.now += 0.02  # the last confirming check was sent 0.51 s ago (e.g. Redis hangs)
    assert local.get("service:1") is None
    local.confirm(b"1", clock.now)  # the check works again: the entry answers again
    assert local.get("service:1") is not None
    local.unverified()  # a failed check (Redis down): nothing answers at once
    assert local.get("service:1") is None


def test_a_new_generation_drops_every_entry() -> None:
    clock = Clock()
    local = first_level(clock)
    local.confirm(b"1", clock.now)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    clock.now += 0.1
    local.confirm(b"2", clock.now)
    assert local.get("service:1") is None and len(local.named) == 0
    # An answer read under the old generation is not kept any more.
    local.store("service:1", CachedBody.of(b"old"), b"1", local.epoch)
    assert local.get("service:1") is None


def test_a_drop_refuses_reads_begun_before_it_and_checks_sent_before_it() -> None:
    clock = Clock()
    local = first_level(clock)
    local.confirm(b"1", clock.now)
    epoch = local.epoch  # a read begins …
    clock.now += 0.01
    sent_at = clock.now  # … a check is sent …
    clock.now += 0.01
    local.drop()  # … a change is announced …
    local.confirm(b"1", sent_at)  # … the check answers with what it read before
    assert not local.usable()
    local.store("service:1", CachedBody.of(b"old"), b"1", epoch)
    clock.now += 0.01
    local.confirm(b"2", clock.now)  # a check sent after the drop counts
    local.store("service:1", CachedBody.of(b"old"), b"1", epoch)
    assert local.get("service:1") is None
    local.store("service:1", CachedBody.of(b"new"), b"2", local.epoch)
    assert local.get("service:1") == CachedBody.of(b"new")


def test_an_entry_lives_no_longer_than_the_redis_ttl() -> None:
    clock = Clock()
    local = FirstLevel(ttl_seconds=300, verified_for=0.5, clock=clock)
    local.confirm(b"1", clock.now)
    local.store("service:1", CachedBody.of(b"s"), b"1", local.epoch)
    clock.now += 300
    local.confirm(b"1", clock.now)
    assert local.get("service:1") is None
