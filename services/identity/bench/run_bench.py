"""Benchmark of the customer directory's search (R30; not a test): N members, then
EXPLAIN ANALYZE of the directory's own query for a few searches ops type.

    uv run python services/identity/bench/run_bench.py [--members 100000] [--runs 5]
        [--server postgresql://postgres@127.0.0.1:5432] [--json]

It creates (and afterwards drops) its own database ``bizmall_identity_bench_<pid>`` on
the PostgreSQL server ``--server`` names (default: ``BENCH_POSTGRES_DSN``'s server,
else the local one), migrates it, loads members with COPY (their search text folded
by the code the repository runs on every write), VACUUM ANALYZEs, then explains the
statement ``MemberDirectory.search`` runs (first page, 50 per page) for each search.
It prints each plan once and the execution time the server reports (median and
maximum of ``--runs``, warm cache). ``--json`` prints the same as one JSON object;
the integration test ``test_identity_member_search_plan.py`` runs a small one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from stdnum.jp import cn

from identity.adapters.directory_repository import search_statement
from identity.config import Settings
from identity.domain.directory import search_terms, search_text_of
from servicekit.migrations import ensure_database, upgrade

#: The server when neither ``--server`` nor ``BENCH_POSTGRES_DSN`` names one.
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"
TRIGRAM_INDEX = "ix_members_search_text_trgm"

FAMILY = [
    ("山田", "ヤマダ", "yamada"),
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山本", "ヤマモト", "yamamoto"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"),
    ("清水", "シミズ", "shimizu"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("森", "モリ", "mori"),
]
GIVEN = [
    ("太郎", "タロウ", "taro"),
    ("花子", "ハナコ", "hanako"),
    ("一郎", "イチロウ", "ichiro"),
    ("美咲", "ミサキ", "misaki"),
    ("健", "ケン", "ken"),
    ("陽菜", "ヒナ", "hina"),
    ("大輔", "ダイスケ", "daisuke"),
    ("由美", "ユミ", "yumi"),
    ("翔太", "ショウタ", "shota"),
    ("直樹", "ナオキ", "naoki"),
]
ORGANIZATION = ["ミライ", "さくら", "光通信", "東京データ", "アオバ", "ネクスト", "テクノ", "青葉"]
FORMS = ["株式会社", "合同会社", "有限会社", "カブシキガイシャ"]
DOMAINS = ["example.co.jp", "example.jp", "example.com", "example.ne.jp"]

#: (what it stands for, the query) — typed as ops would, half-width and full-width.
SEARCHES = [
    ("person kana, half-width", "ﾔﾏﾀﾞ ﾊﾅｺ"),
    ("organization kana, half-width", "ｶﾌﾞｼｷｶﾞｲｼｬ ｱｵﾊﾞ"),
    ("full-width digits", "１２３４５"),
    ("email fragment", "suzuki.1234@"),
    ("corporate number with hyphens", None),
    ("person name, kanji", "渡辺 直樹"),
    # Under three characters: the start of a field or word (domain/directory.py).
    ("two characters, common", "山田"),
    ("two characters, matching nobody", "ｚｚ"),
    ("one character", "森"),
]


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    values: tuple[Any, ...]


def server_of(dsn: str) -> str:
    """``dsn`` without its database: ``postgresql://user@host:port``."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def corporate_number(rng: random.Random) -> str:
    body = f"{rng.randrange(10**12):012d}"
    return cn.calc_check_digit(body) + body


COLUMNS = (
    "id",
    "login_id",
    "password_hash",
    "kind",
    "status",
    "version",
    "entity_type",
    "corporate_number",
    "name",
    "name_kana",
    "organization_name",
    "postal_code",
    "address",
    "phone",
    "contact_email",
    "language",
    "privacy_policy_version",
    "privacy_policy_accepted_at",
    "totp_enrolled",
    "created_at",
    "verified_at",
    "search_text",
)


def members(count: int, seed: int = 16) -> list[tuple[Any, ...]]:
    """``count`` members registered over the last few years, one a corporation in
    three a sole proprietor; rows in :data:`COLUMNS` order."""
    rng = random.Random(seed)
    start = datetime(2022, 4, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        member_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        corporation = rng.random() < 0.67
        number = corporate_number(rng) if corporation else None
        form = rng.choices(FORMS, weights=[60, 15, 10, 15])[0]
        organization = f"{form}{rng.choice(ORGANIZATION)}{i % 997}"
        email = f"{family[2]}.{rng.randrange(10000)}@{rng.choice(DOMAINS)}"
        login_id = f"{i}.{email}"
        mobile = rng.random() < 0.4
        phone = (
            f"0{rng.choice('789')}0{rng.randrange(10**8):08d}"
            if mobile
            else (f"0{rng.randrange(1, 10)}{rng.randrange(10**8):08d}")
        )
        name, kana = f"{family[0]} {given[0]}", f"{family[1]} {given[1]}"
        registered = start + timedelta(minutes=17 * i + rng.randrange(17))
        text = search_text_of(name, kana, organization, number, login_id, email, phone, member_id)
        rows.append(
            (
                member_id,
                login_id,
                "$argon2id$bench",
                "member",
                "active",
                1,
                "corporation" if corporation else "sole_proprietor",
                number,
                name,
                kana,
                organization,
                "1000001",
                "東京都千代田区千代田1-1",
                phone,
                email,
                "ja",
                "2025-04",
                registered,
                False,
                registered,
                registered,
                text,
            )
        )
    return rows


async def load(dsn: str, rows: list[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("members", records=rows, columns=list(COLUMNS))
        # As autovacuum would: the trigram index's pending entries merged, statistics taken.
        await conn.execute("VACUUM ANALYZE members")
    finally:
        await conn.close()


def explained_sql(query: str) -> str:
    """The directory's first-page statement for ``query``, values inlined."""
    statement = search_statement(search_terms(query), limit=50)
    compiled = statement.compile(
        dialect=asyncpg_dialect.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


async def explain(
    dsn: str, searches: list[tuple[str, str]], runs: int, *, index_plans: bool = False
) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    results = []
    try:
        if index_plans:
            await conn.execute("SET enable_seqscan = off")
        for label, query in searches:
            sql = explained_sql(query)
            times, plan, rows = [], "", 0
            for _ in range(runs):
                [(document,)] = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                top = json.loads(document)[0]
                times.append(top["Execution Time"])
                rows = top["Plan"]["Actual Rows"]
            lines = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(line[0] for line in lines)
            results.append(
                {
                    "search": label,
                    "q": query,
                    "rows_on_first_page": rows,
                    "median_ms": round(statistics.median(times), 3),
                    "max_ms": round(max(times), 3),
                    # Each run's time, for percentiles over many searches (bench/scaling.py).
                    "times_ms": [round(t, 3) for t in times],
                    "uses_trigram_index": TRIGRAM_INDEX in plan,
                    "plan": plan,
                }
            )
    finally:
        await conn.close()
    return results


def searches_for(rows: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """:data:`SEARCHES`, the corporate number taken from a loaded member (hyphenated)."""
    number = next(
        row[COLUMNS.index("corporate_number")]
        for row in reversed(rows)
        if row[COLUMNS.index("corporate_number")]
    )
    typed = f"{number[0]}-{number[1:5]}-{number[5:9]}-{number[9:]}"
    return [(label, query or typed) for label, query in SEARCHES]


async def main(
    count: int, runs: int, server: str, *, as_json: bool = False, index_plans: bool = False
) -> dict[str, Any]:
    database = f"bizmall_identity_bench_{os.getpid()}"
    url = server.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{database}"
    settings = Settings(database_url=url)
    await ensure_database(url)
    try:
        await asyncio.to_thread(upgrade, settings, "identity")
        rows = members(count)
        await load(f"{server}/{database}", rows)
        results = await explain(
            f"{server}/{database}", searches_for(rows), runs, index_plans=index_plans
        )
    finally:
        admin = await asyncpg.connect(f"{server}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()
    summary = {"members": count, "runs": runs, "index_plans": index_plans, "searches": results}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return summary
    for result in results:
        print(f"--- {result['search']}: q={result['q']!r}")
        print(result["plan"])
    print(f"\nmembers: {count}; execution time at the database, {runs} runs (warm):")
    for result in results:
        index = "trigram index" if result["uses_trigram_index"] else "NO trigram index"
        print(
            f"  {result['search']:<32} median {result['median_ms']:>7.2f} ms"
            f"  max {result['max_ms']:>7.2f} ms  ({result['rows_on_first_page']} rows, {index})"
        )
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--index-plans",
        action="store_true",
        help="plan without sequential scans: whether the index serves each search on a"
        " table small enough that scanning it all is cheaper (the integration test's run)",
    )
    parser.add_argument(
        "--server",
        default=server_of(os.environ.get("BENCH_POSTGRES_DSN", LOCAL_SERVER)),
        help="PostgreSQL server (postgresql://user[:password]@host:port), no database",
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.members,
            arguments.runs,
            server_of(arguments.server),
            as_json=arguments.json,
            index_plans=arguments.index_plans,
        )
    )
