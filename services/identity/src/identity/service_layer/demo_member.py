"""The demo member (local mode and Compose): a verified corporate customer whose orders,
contracts, invoices and inquiry the other services' seeds add (``servicekit.demo``).

Created through the same aggregate as a registration, then verified, so that
``identity.member.verified`` carries the profile to every service's copy. Idempotent:
the fixed id makes a second seed a no-op.
"""

from __future__ import annotations

from identity.adapters.passwords import Passwords
from identity.config import Settings
from identity.domain import rules
from identity.domain.member import Member, Registration
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.demo import DEMO_MEMBER_ID, SEED_ACTOR

#: What the demo member registered with, checked by the registration form's own rules.
DEMO_REGISTRATION = dict(
    name="山田 太郎",
    name_kana=rules.check_name_kana("ヤマダ タロウ"),
    entity_type="corporation",
    organization_name="デモ商事株式会社",
    department="情報システム部",
    corporate_number=rules.check_corporate_number("9234567890123"),
    postal_code=rules.check_postal_code("100-0004"),
    address="東京都千代田区大手町1-1-1",
    phone=rules.check_phone("03-1234-5678"),
)


async def seed_demo_member(
    *, uow: IdentityUnitOfWork, passwords: Passwords, settings: Settings
) -> bool:
    """Create and verify the demo member unless it exists or is left out; True if created."""
    email = settings.demo_member_email.strip()
    if not email:
        return False
    password_hash = await passwords.hash(settings.demo_member_password)
    async with uow:
        if await uow.members.get(DEMO_MEMBER_ID) is not None:
            return False
        member = Member.register(
            Registration(email=email, **DEMO_REGISTRATION),  # type: ignore[arg-type]
            password_hash=password_hash,
            privacy_policy_version=settings.privacy_policy_version,
            now=uow.now(),
        )
        member.id = DEMO_MEMBER_ID
        member.verify(now=uow.now())
        if not await uow.members.add_unless_taken(member):
            return False  # the login ID belongs to someone else: leave them alone
        uow.audit(
            actor=SEED_ACTOR,
            action="member.demo_seeded",
            target=str(member.id),
            member_id=str(member.id),
        )
        await uow.commit()
        return True
