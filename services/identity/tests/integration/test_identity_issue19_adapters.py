"""Issue 19 in identity's adapters: documents are encrypted in chunks on disk, never whole
in memory, and read back, and an upload over the limit leaves nothing behind (item 9);
the refresh grace window needs Redis, refreshes do not (item 6)."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

from identity.adapters.document_store import CHUNK_BYTES, DocumentStore
from identity.adapters.recent_rotations import RecentRotations, RotatedPair
from identity.config import DEV_SIGNING_KEY_SECRET
from servicekit.crypto import SecretBox
from servicekit.redis import create_redis
from servicekit.testing.smtp import free_port

PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30


def test_issue19_item9_files_are_encrypted_in_chunks_and_read_back(tmp_path: Any) -> None:
    store = DocumentStore(str(tmp_path), DEV_SIGNING_KEY_SECRET)
    content = PDF + bytes(range(256)) * (3 * CHUNK_BYTES // 256)

    class Source(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            Source.largest = max(Source.largest, len(chunk))
            return chunk

    document_id = uuid.uuid4()
    stored = asyncio.run(store.put_file(document_id, Source(content), max_bytes=10 * 2**20))
    raw = asyncio.run(store.raw(document_id))
    assert stored.size == len(content) and stored.head == content[:16]
    assert Source.largest <= CHUNK_BYTES and b"1 0 obj" not in raw
    assert asyncio.run(store.get(document_id)) == content
    # Over the limit: nothing is kept.
    other = uuid.uuid4()
    too_big = asyncio.run(store.put_file(other, io.BytesIO(content), max_bytes=CHUNK_BYTES))
    assert too_big.size > CHUNK_BYTES and list(tmp_path.iterdir()) == [
        tmp_path / f"{document_id}.bin"
    ]


async def test_issue19_item6_the_grace_window_fails_open_without_redis() -> None:
    redis = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    box = SecretBox(DEV_SIGNING_KEY_SECRET)
    rotations = RecentRotations(redis, "issue19", box, grace_seconds=10)
    try:
        await rotations.remember("digest", RotatedPair("access", "refresh"))
        assert await rotations.recall("digest") is None
    finally:
        await redis.aclose()
