"""R41: a withdrawn member whose other contracts continue receives each invoice email with
the invoice PDF attached (they cannot log in to the link). The PDF comes from billing's
``/internal`` route — here the real billing app on its own database, serving HTTP — and a
fetch that fails is retried by the consumer: the email never goes without it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import text

from billing.bootstrap import SERVICE as BILLING
from billing.config import Settings as BillingSettings
from billing.entrypoints.app import create_app as create_billing_app
from bizmall_events import (
    ContractActivated,
    ContractTerms,
    Envelope,
    IntegrationEvent,
    InvoiceIssued,
    LocalizedText,
    MemberProfileChanged,
    NoTerminationFee,
)
from jpcalendar import JST
from servicekit.migrations import upgrade
from servicekit.scheduler import run_once_if_leader
from servicekit.testing.helpers import eventually
from servicekit.testing.smtp import SmtpSink, free_port

from .conftest import member_verified


@contextlib.asynccontextmanager
async def billing_app(infra: Any, token_issuer: Any) -> AsyncIterator[FastAPI]:
    """The billing app on a fresh migrated database (not serving yet)."""
    settings = await infra.service_settings(BillingSettings, jwks_url=token_issuer.jwks_url)
    await asyncio.to_thread(upgrade, settings, "billing")
    app = create_billing_app(settings)
    try:
        yield app
    finally:
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    """``app`` on 127.0.0.1:``port`` over real HTTP until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    try:
        await eventually(started)
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def issue_invoice(app: FastAPI, member_id: uuid.UUID, ops: dict[str, str]) -> InvoiceIssued:
    """Billing learns of the member and a contract, ops bill August; the invoice's event as
    billing's outbox holds it."""
    runtime = app.state.runtime
    handlers = BILLING.subscriptions(runtime)

    async def deliver(event: IntegrationEvent) -> None:
        envelope = Envelope.wrap(event, producer="test", correlation_id="r41")
        async with runtime.uow() as uow:
            await handlers[type(event)](event, uow=uow, envelope=envelope)
            await uow.commit()

    await deliver(member_verified(member_id, f"{member_id.hex[:8]}@example.jp"))
    start = date(2026, 8, 3)
    await deliver(
        ContractActivated(
            contract_id=uuid.uuid4(),
            aggregate_version=1,
            order_id=uuid.uuid4(),
            member_id=member_id,
            service_id=uuid.uuid4(),
            service_name=LocalizedText(ja="クラウドPBX", en="Cloud PBX"),
            plan_id=uuid.uuid4(),
            plan_name=LocalizedText(ja="スタンダード", en="Standard"),
            quantity=2,
            planned_start_date=start,
            start_date=start,
            terms=ContractTerms(
                service_version=1,
                plan_version_id=uuid.uuid4(),
                monthly_fee=3000,
                initial_fee=0,
                free_first_month=False,
                allows_account_transfer=True,
                cancellable_on_site=True,
                early_termination=NoTerminationFee(),
                minimum_term_months=0,
            ),
        )
    )
    runtime.clock.pin(datetime(2026, 9, 15, 10, tzinfo=JST))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        started = await client.post(
            "/api/v1/ops/billing/runs", json={"month": "2026-08"}, headers=ops
        )
        assert started.status_code == 202, started.text
    (job,) = [j for j in BILLING.jobs(runtime) if j.name == "billing.run_queue"]
    assert await run_once_if_leader(runtime.engine, job)
    async with runtime.sessions() as session:
        [envelope] = (
            await session.execute(
                text("SELECT envelope FROM outbox WHERE type = :t"), {"t": InvoiceIssued.TYPE}
            )
        ).scalars()
    return InvoiceIssued.model_validate(envelope["data"])


async def _retried(n: Any, event_id: uuid.UUID) -> bool:
    """The event failed at least once (waiting in a delay queue) and was not handled."""
    async with n.runtime.sessions() as session:
        handled = await session.scalar(
            text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event_id}
        )
    channel = await n.runtime.bus.channel()
    try:
        waiting = 0
        for delay in n.settings.retry_delays_ms:
            name = f"{n.settings.queue_prefix}.notification.retry.{delay}"
            queue = await channel.declare_queue(name, passive=True)
            waiting += queue.declaration_result.message_count or 0
    finally:
        await channel.close()
    return handled == 0 and waiting > 0


async def test_r41_a_withdrawn_members_invoice_email_carries_the_pdf_fetched_with_retries(
    infra: Any, token_issuer: Any, start_notification: Any, smtp_sink: SmtpSink
) -> None:
    port = free_port()
    async with (
        billing_app(infra, token_issuer) as billing,
        start_notification(
            smtp_host=smtp_sink.host,
            smtp_port=smtp_sink.port,
            billing_url=f"http://127.0.0.1:{port}",
            billing_internal_token=billing.state.runtime.settings.internal_token,
            # Enough attempts that a loaded machine cannot exhaust them before billing is up.
            retry_delays_ms=[300, 600, 1000, 2000],
            max_attempts=40,
        ) as n,
    ):
        member_id = await n.member(email="left@example.jp", version=2)
        issued = await issue_invoice(billing, member_id, token_issuer.ops())
        profile = member_verified(member_id, "left@example.jp", status="withdrawn").profile
        await n.publish(
            MemberProfileChanged(member_id=member_id, profile=profile, aggregate_version=3)
        )
        await eventually(lambda: _withdrawn(n, member_id))

        # Billing is not answering yet: the event is retried, no email goes without the PDF.
        envelope = await n.publish(issued)
        await eventually(lambda: _retried(n, envelope.id))
        assert await n.deliveries(event_id=envelope.id) == []

        async with serving(billing, port):
            mail = await smtp_sink.wait_for(lambda m: m["X-Bizmall-Event-ID"] == str(envelope.id))
        assert mail["To"] == "left@example.jp" and mail.get_content_type() == "multipart/mixed"
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        pdf = attachment.get_content()
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
        assert attachment.get_filename() == f"invoice-{issued.invoice_number}.pdf"
        pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert issued.invoice_number in pdf_text
        text_part = mail.get_body(("plain",))
        assert text_part is not None and mail.get_body(("html",)) is not None
        body = str(text_part.get_content())
        assert "添付しています" in body and f"/invoices/{issued.invoice_id}" not in body


async def _withdrawn(n: Any, member_id: uuid.UUID) -> bool:
    contact = await n.contact(member_id)
    return contact is not None and contact.status == "withdrawn"
