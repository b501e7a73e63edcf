"""The demo member's answered inquiry (local mode and Compose, ``python -m notification seed``).

Asked and answered through the same handlers the member and ops use, dated a few weeks
back with the unit of work's clock, once identity's event has given notification the
demo member's contact (``servicekit.demo``). Idempotent: nothing is added once the demo
member has an inquiry.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from notification.service_layer.inquiries import answer_inquiry, list_inquiries, submit_inquiry
from notification.service_layer.unit_of_work import new_uow
from servicekit.clock import JAPAN
from servicekit.demo import DEMO_MEMBER_ID, SEED_ACTOR, demo_member_wanted, wait_until
from servicekit.logging import get_logger
from servicekit.runtime import Runtime

_log = get_logger(__name__)

#: How long to wait for identity's event about the demo member (seconds).
CONTACT_TIMEOUT = 90.0

SUBJECT = "請求書の送付先を経理部に変更できますか"
QUESTION = (
    "毎月の請求書を、情報システム部ではなく経理部の担当者あてに送ってほしいのですが、"
    "どのように変更すればよいでしょうか。"
)
ANSWER = (
    "お問い合わせありがとうございます。請求書のお知らせメールは、マイページの"
    "「お客さま情報」で連絡先メールアドレスを経理部の担当者さまのアドレスに変更いただくと、"
    "翌月分からそちらに届きます。郵送をご希望の場合は、あわせてお知らせください。"
)


async def seed(runtime: Runtime) -> None:
    """The service definition's seed hook: the demo member's inquiry and its answer, once."""
    if not demo_member_wanted():
        return
    async with new_uow(runtime) as uow:
        page = await list_inquiries(
            uow=uow, member_id=DEMO_MEMBER_ID, status=None, limit=1, cursor=None
        )
    if page.items:
        return

    async def contact_arrived() -> bool:
        async with new_uow(runtime) as uow:
            return await uow.contacts.get(DEMO_MEMBER_ID) is not None

    if not await wait_until(contact_arrived, timeout=CONTACT_TIMEOUT):
        _log.warning("demo inquiry skipped: the demo member did not arrive")
        return
    asked = datetime.combine(
        runtime.clock.today_in_japan() - timedelta(days=20), time(10, 30), tzinfo=JAPAN
    )
    try:
        runtime.clock.pin(asked)
        async with new_uow(runtime) as uow:
            inquiry = await submit_inquiry(
                uow=uow,
                member_id=DEMO_MEMBER_ID,
                category="billing",
                subject=SUBJECT,
                body=QUESTION,
                order_id=None,
            )
        runtime.clock.pin(asked + timedelta(days=1, hours=4))
        async with new_uow(runtime) as uow:
            await answer_inquiry(uow=uow, inquiry_id=inquiry.id, body=ANSWER, actor=SEED_ACTOR)
    finally:
        runtime.clock.unpin()
    _log.info("demo inquiry loaded")
