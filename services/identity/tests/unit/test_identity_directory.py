"""R30: the customer directory's folding and search, on the fake unit of work."""

from __future__ import annotations

import uuid

import pytest

from identity.domain.directory import fold, search_terms, search_text, search_text_of
from identity.domain.errors import MemberNotFound
from identity.domain.member import Member
from identity.service_layer import directory
from identity.service_layer.operators import create_operator
from servicekit.pagination import InvalidCursor

from .world import NOW, PASSWORD, World, registration_of


def test_r30_half_width_katakana_folds_to_full_width() -> None:
    assert fold("ｶﾌﾞｼｷｶﾞｲｼｬ") == fold("カブシキガイシャ") == "カブシキガイシャ"


def test_r30_hiragana_folds_to_katakana() -> None:
    assert fold("かぶしきがいしゃ") == "カブシキガイシャ"


def test_r30_full_width_digits_and_letters_fold_to_ascii_lower_case() -> None:
    assert fold("１２３") == "123"
    assert fold("ＴＡＲＯ@Example.JP") == "taro@example.jp"


def test_r30_whitespace_and_control_characters_take_no_part() -> None:
    assert fold(" ヤマダ\u3000タロウ\x00 ") == "ヤマダタロウ"


def _texts(query: str) -> list[str]:
    return [term.text for term in search_terms(query)]


def test_r30_a_number_typed_with_hyphens_is_also_searched_as_digits() -> None:
    assert _texts("7000-01-205-0002") == ["7000-01-205-0002", "7000012050002"]
    assert _texts("０３ー３５８１") == ["03ー3581", "033581"]
    assert _texts("7000012050002") == ["7000012050002"]
    assert _texts("ヤマダ") == ["ヤマダ"]
    assert search_terms("  ") == ()


def test_r30_a_query_under_three_characters_matches_the_start_of_a_field_or_word() -> None:
    text = search_text_of("山田 太郎", "ヤマダ タロウ", "株式会社森")
    assert [t.anywhere for t in search_terms("山田")] == [False]
    assert all(t.found_in(text) for t in search_terms("山田"))
    assert all(t.found_in(text) for t in search_terms("太郎")), "a later word's start"
    assert all(t.found_in(text) for t in search_terms("ﾀﾛ"))
    assert not any(t.found_in(text) for t in search_terms("田太")), "inside a word"
    assert not any(t.found_in(text) for t in search_terms("森"))
    assert all(t.found_in(text) for t in search_terms("田太郎")), "three characters: anywhere"


def test_r30_the_search_text_holds_every_searched_field() -> None:
    member = Member.register(
        registration_of(organization_name="カブシキガイシャ　ミライ", phone="0335814161"),
        password_hash="hash:x",
        privacy_policy_version="2025-04",
        now=NOW,
    )
    text = search_text(member)
    for part in ("山田太郎", "ヤマダタロウ", "カブシキガイシャミライ", "7000012050002"):
        assert part in text
    for part in (member.login_id, "0335814161", str(member.id)):
        assert part in text


async def _search(world: World, q: str, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("limit", 50)
    kwargs.setdefault("cursor", None)
    return await directory.search(uow=world.uow, query=q, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        "ｶﾌﾞｼｷｶﾞｲｼｬ",
        "かぶしきがいしゃ",
        "４５６７８９",
        "7000-01-205-0002",
        "EXAMPLE.CO",
        "やまだ たろう",
    ],
)
async def test_r30_each_way_of_writing_finds_the_member(query: str) -> None:
    world = World()
    member = await world.verified_member(
        registration_of(
            organization_name="カブシキガイシャ456789", corporate_number="7000012050002"
        )
    )
    other = await world.verified_member(
        registration_of(
            name="佐藤 花子",
            name_kana="サトウ ハナコ",
            organization_name="有限会社",
            corporate_number="2021001052596",
            email=f"h-{uuid.uuid4().hex[:6]}@example.net",
        )
    )
    found = [e.id for e in (await _search(world, query)).items]
    assert found == [member.id] and other.id not in found


async def test_r30_the_directory_pages_newest_first_and_leaves_out_operators() -> None:
    world = World()
    members = []
    for _ in range(5):
        members.append(await world.verified_member())
        world.later(minutes=1)
    await create_operator(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        email="ops@bizmall.example",
        password=PASSWORD,
    )
    first = await _search(world, "", limit=3)
    second = await _search(world, "", limit=3, cursor=first.next_cursor)
    listed = [e.id for e in first.items + second.items]
    assert listed == [m.id for m in reversed(members)]
    assert second.next_cursor is None
    with pytest.raises(InvalidCursor):
        await _search(world, "", cursor="not-a-cursor")


async def test_r30_a_member_s_record_has_profile_document_and_withdrawal() -> None:
    world = World()
    member = await world.verified_member(
        registration_of(entity_type="sole_proprietor", corporate_number=None)
    )
    await world.upload_document(member, b"%PDF-1.4 licence")
    record = await directory.record(uow=world.uow, member_id=member.id)
    assert record.member is member and record.latest_withdrawal is None
    assert record.latest_document is not None and record.latest_document.status == "pending"


async def test_r30_an_unknown_id_or_an_operator_has_no_record() -> None:
    world = World()
    await create_operator(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        email="ops@bizmall.example",
        password=PASSWORD,
    )
    operator = world.member("ops@bizmall.example")
    for member_id in (uuid.uuid4(), operator.id):
        with pytest.raises(MemberNotFound):
            await directory.record(uow=world.uow, member_id=member_id)
