"""Issue 19 (security hardening), items 1–4, 6, 9 and 16 in identity's handlers, run with
a fake unit of work and fake adapters (no database, no Redis, no disk)."""

from __future__ import annotations

import asyncio
import itertools

import pyotp
import pytest

from bizmall_events.identity import MemberRegistered, PasswordResetRequested
from identity.adapters.document_store import CHUNK_BYTES
from identity.domain.errors import (
    DocumentExpired,
    InvalidCredentials,
    LoginLocked,
    ResendTooSoon,
    SoleProprietorsOnly,
    TooManyPendingDocuments,
    TotpInvalid,
)
from identity.domain.member import Member
from identity.domain.operators import totp_accepts
from identity.domain.tokens import VERIFY
from identity.service_layer import documents, sessions

from .fakes import FakePasswords
from .world import NOW, PASSWORD, World, registration_of

WRONG = "wrong password 123"
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30


class InterleavingPasswords(FakePasswords):
    """Verifies like argon2id would under load: the event loop runs other logins while
    a password is being checked."""

    async def verify(self, stored: str | None, password: str) -> bool:
        for _ in range(5):
            await asyncio.sleep(0)
        return await super().verify(stored, password)


# --- item 1: the lockout holds under parallel guesses ------------------------------------


async def test_issue19_item1_parallel_guesses_from_20_addresses_stay_within_the_lockout() -> None:
    world = World()
    member = await world.verified_member()
    world.passwords = InterleavingPasswords(world.uow)
    answers = await asyncio.gather(
        *(world.login(member.login_id, WRONG, ip=f"198.51.100.{n}") for n in range(1, 21)),
        return_exceptions=True,
    )
    limit = world.settings.login_max_failures_per_account
    checked = len(world.passwords.verified_in_transaction)
    assert checked <= limit, f"{checked} passwords checked in parallel, limit {limit}"
    assert all(isinstance(a, InvalidCredentials | LoginLocked) for a in answers), answers
    assert sum(isinstance(a, LoginLocked) for a in answers) >= len(answers) - limit


async def test_issue19_item1_a_correct_password_hands_its_reservation_back() -> None:
    world = World()
    member = await world.verified_member()
    for _ in range(world.settings.login_max_failures_per_account_address + 3):
        await world.session_of(member)
    assert world.throttle.counts[("account", member.login_id)] == 0


# --- item 16: a shared address is never locked as a whole ---------------------------------


async def test_issue19_item16_one_user_behind_a_shared_address_locks_only_their_own_login() -> None:
    world = World()
    user, colleague = await world.verified_member(), await world.verified_member()
    office = "203.0.113.7"
    for _ in range(world.settings.login_max_failures_per_account_address):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            await world.login(user.login_id, WRONG, ip=office)
    with pytest.raises(LoginLocked):
        await world.login(user.login_id, PASSWORD, ip=office)
    # Guessing 60 unknown login IDs from the office does not lock the office either.
    for n in range(60):
        with pytest.raises(InvalidCredentials):
            await world.login(f"ghost-{n}@example.com", WRONG, ip=office)
    assert isinstance(await world.login(colleague.login_id, ip=office), sessions.Session)
    assert isinstance(await world.login(user.login_id, ip="198.51.100.9"), sessions.Session)


# --- item 2: wrong TOTP codes are counted per challenge and per operator ------------------


async def _challenge(world: World) -> tuple[Member, str, pyotp.TOTP]:
    operator = Member.operator(
        login_id="ops@bizmall.example", password_hash=f"hash:{PASSWORD}", now=NOW
    )
    world.uow.members.put(operator)
    challenge = await world.login(operator.login_id)
    assert isinstance(challenge, sessions.OpsChallenge) and challenge.totp_enrollment
    return operator, challenge.challenge_token, pyotp.TOTP(challenge.totp_enrollment.secret)


def _wrong_codes(totp: pyotp.TOTP, count: int) -> list[str]:
    codes = (f"{n:06d}" for n in range(1_000_000))
    return list(itertools.islice((c for c in codes if not totp_accepts(totp.secret, c)), count))


async def test_issue19_item2_five_wrong_codes_end_the_challenge() -> None:
    world = World()
    _, challenge, totp = await _challenge(world)
    for code in _wrong_codes(totp, world.settings.totp_max_failures_per_challenge):
        with pytest.raises(TotpInvalid):
            await world.login_totp(challenge, code)
    with pytest.raises(TotpInvalid):
        await world.login_totp(challenge, totp.now())
    assert world.uow.audited("ops.login") == []


async def test_issue19_item2_100_parallel_wrong_codes_end_the_challenge() -> None:
    world = World()
    operator, challenge, totp = await _challenge(world)
    answers = await asyncio.gather(
        *(world.login_totp(challenge, code) for code in _wrong_codes(totp, 100)),
        return_exceptions=True,
    )
    assert all(isinstance(a, TotpInvalid | LoginLocked) for a in answers), answers
    with pytest.raises(TotpInvalid):
        await world.login_totp(challenge, totp.now())
    checked = world.throttle.counts[("totp", str(operator.id))]
    assert checked <= world.settings.totp_max_failures_per_challenge


async def test_issue19_item2_wrong_codes_across_challenges_lock_the_operator() -> None:
    world = World()
    operator, challenge, totp = await _challenge(world)
    wrong = iter(_wrong_codes(totp, 100))
    answers: list[type[Exception]] = []
    while LoginLocked not in answers:
        assert len(answers) <= world.settings.totp_max_failures_per_operator, answers
        try:
            await world.login_totp(challenge, next(wrong))
        except (TotpInvalid, LoginLocked) as refused:
            answers.append(type(refused))
        fresh = await world.login(operator.login_id)
        assert isinstance(fresh, sessions.OpsChallenge)
        challenge = fresh.challenge_token
    assert len(answers) == world.settings.totp_max_failures_per_operator
    with pytest.raises(LoginLocked):
        await world.login_totp(challenge, totp.now())


# --- item 3: resending the verification link -----------------------------------------------


async def test_issue19_item3_a_resend_goes_out_once_per_cooldown_and_a_few_times_a_day() -> None:
    world = World()
    member = await world.register()

    def sent() -> int:
        return len([e for e in world.uow.events_of(MemberRegistered) if e.member_id == member.id])

    await world.resend_verification(member.login_id)
    for _ in range(2):
        with pytest.raises(ResendTooSoon) as too_soon:
            await world.resend_verification(member.login_id)
        assert too_soon.value.retry_after == world.settings.verification_resend_cooldown_seconds
    assert sent() == 2, "the registration's link and one resend"
    refused = 0
    for _ in range(10):
        world.cooldown.cool_down()
        try:
            await world.resend_verification(member.login_id)
        except ResendTooSoon:
            refused += 1
    assert sent() == 1 + world.settings.verification_resend_max_per_day
    assert refused == 10 - (world.settings.verification_resend_max_per_day - 1)


async def test_issue19_item3_known_and_unknown_addresses_are_throttled_alike() -> None:
    world = World()
    member = await world.register()
    codes = []
    for email in (member.login_id, "nobody@example.com"):
        await world.resend_verification(email)
        with pytest.raises(ResendTooSoon) as too_soon:
            await world.resend_verification(email)
        codes.append((too_soon.value.code, too_soon.value.retry_after))
    assert codes[0] == codes[1], "R10: the refusal is the same for a stranger's address"
    assert world.cooldown.sent[(VERIFY, member.login_id)] == 1
    assert world.cooldown.sent[(VERIFY, "nobody@example.com")] == 1
    assert world.floor.waited == [world.settings.anonymous_answer_floor_seconds] * 4


# --- item 4: password reset takes the same path whether or not the address is known ---------


async def test_issue19_item4_known_and_unknown_reset_addresses_do_the_same_work() -> None:
    world = World()
    member = await world.verified_member()
    work = []
    for email in (member.login_id, "nobody@example.com"):
        commits, hashes = world.uow.committed, len(world.passwords.hashed)
        waited = len(world.floor.waited)
        await world.request_reset(email)
        work.append(
            (
                world.uow.committed - commits,
                len(world.passwords.hashed) - hashes,
                world.floor.waited[waited:],
            )
        )
    floor = world.settings.anonymous_answer_floor_seconds
    assert work[0] == work[1] == (1, 0, [floor])
    assert len(world.uow.events_of(PasswordResetRequested)) == 1


# --- item 6: two tabs refreshing at once ------------------------------------------------------


async def test_issue19_item6_the_same_token_within_the_grace_window_gets_the_same_pair() -> None:
    world = World()
    member = await world.verified_member()
    first = await world.session_of(member)
    second = await world.refresh(first.refresh_token)
    world.later(seconds=world.settings.refresh_grace_seconds - 1)
    again = await world.refresh(first.refresh_token)
    assert (again.access_token, again.refresh_token) == (second.access_token, second.refresh_token)
    assert len(world.uow.sessions.live_families(member.id)) == 1, "the family lives on"
    third = await world.refresh(again.refresh_token)
    assert third.refresh_token != second.refresh_token


# --- item 9: identity documents -------------------------------------------------------------


async def _sole_proprietor(world: World) -> Member:
    return await world.verified_member(
        registration_of(
            entity_type="sole_proprietor", corporate_number=None, organization_name="山田商店"
        )
    )


async def test_issue19_item9_a_corporation_is_refused_before_the_file_is_read() -> None:
    world = World()
    corporation = await world.verified_member()
    with pytest.raises(SoleProprietorsOnly):
        await documents.check_may_upload(
            uow=world.uow, member_id=corporation.id, max_pending=world.settings.document_max_pending
        )


async def test_issue19_item9_the_upload_is_read_in_chunks() -> None:
    world = World()
    member = await _sole_proprietor(world)
    content = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    document = await world.upload_document(member, content)
    assert document.size_bytes == len(content)
    assert 0 < world.store.largest_read <= CHUNK_BYTES


async def test_issue19_item9_at_most_five_documents_of_a_member_wait_for_review() -> None:
    world = World()
    member = await _sole_proprietor(world)
    uploaded = [await world.upload_document(member, PDF) for _ in range(5)]
    with pytest.raises(TooManyPendingDocuments):
        await world.upload_document(member, PDF)
    with pytest.raises(TooManyPendingDocuments):
        await documents.check_may_upload(uow=world.uow, member_id=member.id, max_pending=5)
    assert len(world.store.files) == 5, "the refused file is not kept"
    await documents.review(
        uow=world.uow, document_id=uploaded[0].id, decision="approved", reason=None, actor="ops"
    )
    await world.upload_document(member, PDF)


async def test_issue19_item9_files_never_reviewed_are_purged_after_the_retention() -> None:
    world = World()
    member = await _sole_proprietor(world)
    document = await world.upload_document(member, PDF)
    days = world.settings.document_unreviewed_retention_days
    world.later(days=days - 1)
    purge = documents.purge_unreviewed_files
    assert await purge(uow=world.uow, store=world.store, retention_days=days) == 0  # type: ignore[arg-type]
    world.later(days=2)
    assert await purge(uow=world.uow, store=world.store, retention_days=days) == 1  # type: ignore[arg-type]
    assert document.file_deleted and document.id not in world.store.files
    assert await documents.list_by_status(uow=world.uow, status="pending") == []
    with pytest.raises(DocumentExpired):
        await documents.review(
            uow=world.uow, document_id=document.id, decision="approved", reason=None, actor="ops"
        )
