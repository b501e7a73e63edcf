"""R2, R5–R7, R10: registration and email verification, run with a fake unit of work.

No database is reached: the handlers get the fake unit of work and fake adapters.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bizmall_events.identity import (
    MemberRegistered,
    MemberVerified,
    RegistrationAttemptedExisting,
)
from identity.domain.errors import RESEND_PATH, LinkTokenRefused
from identity.domain.tokens import digest
from identity.service_layer import registration

from .world import NOW, PASSWORD, World, registration_of


async def test_r5_registration_stores_an_unverified_member_with_its_fields() -> None:
    world = World()
    member = await world.register(registration_of("Taro@Example.co.jp"))
    assert member.status == "pending_verification"
    assert member.login_id == "taro@example.co.jp"
    assert member.contact_email == "Taro@Example.co.jp"
    assert (member.entity_type, member.corporate_number) == ("corporation", "7000012050002")
    assert member.password_hash == f"hash:{PASSWORD}" and PASSWORD != member.password_hash
    assert world.uow.committed == 1


async def test_r5_a_sole_proprietor_registers_a_trade_name_without_corporate_number() -> None:
    world = World()
    member = await world.register(
        registration_of(
            entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
        )
    )
    assert member.entity_type == "sole_proprietor" and member.corporate_number is None
    assert member.organization_name == "山田商店"


async def test_r2_registration_records_the_accepted_privacy_policy_and_when() -> None:
    world = World()
    member = await world.register()
    assert member.privacy_policy_version == world.settings.privacy_policy_version
    assert member.privacy_policy_accepted_at == NOW and member.created_at == NOW


async def test_r6_registration_publishes_a_sealed_link_valid_24_hours() -> None:
    world = World()
    member = await world.register()
    [event] = world.uow.events_of(MemberRegistered)
    token = world.unseal(event.sealed_verification_token)
    assert token not in event.sealed_verification_token
    assert (event.member_id, event.aggregate_version) == (member.id, 1)
    assert event.token_expires_at == NOW + timedelta(hours=24)
    stored = world.uow.link_tokens.items
    assert digest(token) in stored and token not in stored, "stored as its digest only"


async def test_r10_registering_an_existing_email_tells_its_owner_and_changes_nothing() -> None:
    world = World()
    first = await world.register(registration_of("owner@example.co.jp"))
    await world.register(registration_of("OWNER@example.co.jp", name="別人"))
    assert len(world.uow.members) == 1 and first.name == "山田 太郎"
    [notice] = world.uow.events_of(RegistrationAttemptedExisting)
    assert notice.member_id == first.id
    assert len(world.uow.events_of(MemberRegistered)) == 1


async def test_r10_an_existing_email_costs_a_password_hash_like_a_new_one() -> None:
    world = World()
    await world.register(registration_of("owner@example.co.jp"))
    await world.register(registration_of("owner@example.co.jp"), password="another secret 99")
    assert world.passwords.hashed == [PASSWORD, "another secret 99"]


async def test_r7_colleagues_of_one_company_each_get_their_own_account() -> None:
    world = World()
    alice = await world.register(registration_of("alice@nta.example.jp"))
    bob = await world.register(registration_of("bob@nta.example.jp"))
    assert alice.id != bob.id and alice.organization_name == bob.organization_name
    assert len(world.uow.events_of(MemberRegistered)) == 2


async def test_r6_opening_the_link_activates_the_account_at_version_2() -> None:
    world = World()
    member = await world.verified_member()
    assert member.status == "active" and member.verified_at == NOW
    [event] = world.uow.events_of(MemberVerified)
    assert event.aggregate_version == 2 and event.profile.status == "active"
    assert event.profile.contact_email == member.contact_email
    # Billing matches bank payers by the name's reading (R36).
    assert event.profile.name_kana == "ヤマダ タロウ"


async def test_r6_a_used_link_is_refused_and_offers_a_new_one() -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(LinkTokenRefused) as refused:
        await registration.verify_email(uow=world.uow, token=world.verification_token(member))
    assert refused.value.code == "token.used"
    assert refused.value.extra == {"resend": RESEND_PATH}
    assert len(world.uow.events_of(MemberVerified)) == 1


async def test_r6_the_link_expires_after_24_hours() -> None:
    world = World()
    member = await world.register()
    world.later(hours=24)
    with pytest.raises(LinkTokenRefused) as refused:
        await registration.verify_email(uow=world.uow, token=world.verification_token(member))
    assert refused.value.code == "token.expired"
    assert member.status == "pending_verification"


async def test_r6_an_unknown_link_is_invalid() -> None:
    world = World()
    with pytest.raises(LinkTokenRefused) as refused:
        await registration.verify_email(uow=world.uow, token="not-a-token")
    assert refused.value.code == "token.invalid"


async def test_r6_a_resent_link_works_and_the_earlier_one_stops_working() -> None:
    world = World()
    member = await world.register()
    first = world.verification_token(member)
    await world.resend_verification(member.login_id)
    second = world.verification_token(member)
    assert second != first
    [_, resent] = world.uow.events_of(MemberRegistered)
    assert resent.aggregate_version == 1, "a resend is no change of the member"
    with pytest.raises(LinkTokenRefused):
        await registration.verify_email(uow=world.uow, token=first)
    await registration.verify_email(uow=world.uow, token=second)
    assert member.status == "active"


async def test_r6_no_link_is_resent_to_unknown_or_verified_emails() -> None:
    world = World()
    member = await world.verified_member()
    before = len(world.uow.events)
    for email in (member.login_id, "nobody@example.com"):
        await world.resend_verification(email)
    assert len(world.uow.events) == before
