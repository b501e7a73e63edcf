"""Throwaway: peak Python allocations of one 10 MB identity-document upload (issue 19 item 9)."""
import os
import tracemalloc
from typing import Any


async def test_measure_upload_memory(identity: Any) -> None:
    async with identity.client() as client:
        member = await identity.register_and_verify(
            client, entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
        )
        content = b"%PDF-1.7\n" + os.urandom(10 * 1024 * 1024 - 9)
        body_files = {"file": ("id.pdf", content, "application/pdf")}
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        answer = await client.post(
            "/api/v1/me/identity-documents",
            headers=member["headers"],
            data={"document_type": "passport"},
            files=body_files,
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert answer.status_code == 201, answer.text
        print(f"\nUPLOAD peak traced allocations above start: {(peak - base) / 2**20:.1f} MiB")
