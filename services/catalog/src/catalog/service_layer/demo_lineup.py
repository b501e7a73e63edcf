"""The demo lineup (SPEC §4): eight services in seven categories, every flag value.

Loaded by ``python -m catalog seed`` through the same commands ops use, so each
service is created, published, audited and announced like any other. Ids
derive from the slugs, so loading twice adds nothing.

Two services model the user guide's special cases: ``security-gateway`` takes
no phone orders, is cancelled on the site and must be ended before a member
withdraws; ``data-backup`` does not allow account transfer.
"""

from __future__ import annotations

from typing import Any

from catalog.adapters.cache import LineupCache
from catalog.domain.model import Plan, ServiceTerms
from catalog.service_layer import handlers
from catalog.service_layer.unit_of_work import catalog_uow
from servicekit.demo import SEED_ACTOR, demo_plan_id, demo_service_id
from servicekit.logging import get_logger
from servicekit.runtime import Runtime

_log = get_logger(__name__)

#: The fixed id of the demo service ``slug`` (the other services' seeds use the same).
service_id = demo_service_id


def _plan(slug: str, code: str, ja: str, en: str, monthly: int, initial: int) -> Plan:
    return Plan(
        plan_id=demo_plan_id(slug, code),
        name={"ja": ja, "en": en},
        monthly_fee=monthly,
        initial_fee=initial,
    )


def _field(kind: str, ja: str, en: str, **rules: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"title": ja, "x-title-en": en, **rules}
    if kind == "date":
        spec.update(type="string", format="date")
    else:
        spec["type"] = kind
    return spec


def _fields(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_NO_FEE = {"kind": "none"}
_REMAINING = {"kind": "remaining_months"}
_ON_ACTIVATION = {"kind": "on_activation"}


def _before_start(days: int) -> dict[str, Any]:
    return {"kind": "business_days_before_start", "business_days": days}


def _terms(**values: Any) -> ServiceTerms:
    return ServiceTerms.model_validate(values)


DEMO_LINEUP: list[tuple[str, ServiceTerms, list[Plan]]] = [
    (
        "cloud-pbx",
        _terms(
            category="telephony",
            name={"ja": "クラウドPBX", "en": "Cloud PBX"},
            description={
                "ja": "内線・外線をクラウドで。スマートフォンを内線端末に。",
                "en": "Extensions and outside lines in the cloud; smartphones as extensions.",
            },
            order_unit=1,
            max_quantity_per_order=100,
            takes_phone_orders=True,
            order_fields=_fields(
                ["extension_digits"],
                extension_digits=_field(
                    "integer", "内線番号の桁数", "Extension digits", minimum=3, maximum=4
                ),
                porting_number=_field(
                    "string",
                    "番号ポータビリティする電話番号",
                    "Number to port",
                    pattern=r"^0[0-9]{9,10}$",
                    maxLength=11,
                ),
            ),
            lead_time_business_days=10,
            activation_notice=_before_start(3),
            requires_corporation=True,
            allows_account_transfer=True,
            free_first_month=False,
            cancellable_on_site=False,
            early_termination=_REMAINING,
            minimum_term_months=12,
            withdrawal_requires_contracts_ended=False,
        ),
        [
            _plan("cloud-pbx", "standard", "スタンダード", "Standard", 1800, 3000),
            _plan("cloud-pbx", "call-center", "コールセンター", "Call center", 3200, 5000),
        ],
    ),
    (
        "office-suite",
        _terms(
            category="office",
            name={"ja": "オフィススイート", "en": "Office suite"},
            description={
                "ja": "メール・文書作成・表計算・オンラインストレージをまとめて提供します。",
                "en": "Mail, documents, spreadsheets and online storage in one subscription.",
            },
            order_unit=1,
            max_quantity_per_order=300,
            takes_phone_orders=True,
            order_fields=_fields(
                ["tenant_domain"],
                tenant_domain=_field(
                    "string",
                    "利用するドメイン名",
                    "Domain name",
                    pattern=r"^[a-z0-9-]+\.[a-z0-9.-]+$",
                    maxLength=253,
                ),
                migrate_mailboxes=_field("boolean", "既存メールの移行", "Migrate existing mail"),
            ),
            lead_time_business_days=5,
            activation_notice=_ON_ACTIVATION,
            requires_corporation=False,
            allows_account_transfer=True,
            free_first_month=True,
            cancellable_on_site=False,
            early_termination=_NO_FEE,
            minimum_term_months=0,
            withdrawal_requires_contracts_ended=False,
        ),
        [
            _plan("office-suite", "basic", "ベーシック", "Basic", 750, 0),
            _plan("office-suite", "business", "ビジネス", "Business", 1500, 0),
        ],
    ),
    (
        "vpn-file-share",
        _terms(
            category="storage",
            name={"ja": "VPNファイル共有", "en": "File sharing over VPN"},
            description={
                "ja": "閉域網（VPN）経由で拠点間のファイルを安全に共有します。5ユーザー単位。",
                "en": "Share files between sites safely over a closed VPN, in packs of 5 users.",
            },
            order_unit=5,
            max_quantity_per_order=200,
            takes_phone_orders=True,
            order_fields=_fields(
                ["site_count"],
                site_count=_field("integer", "拠点数", "Number of sites", minimum=1, maximum=20),
                connection_id=_field(
                    "string",
                    "既存回線の接続ID",
                    "Existing connection ID",
                    pattern=r"^[A-Z]{3}[0-9]{8}$",
                    minLength=11,
                    maxLength=11,
                ),
            ),
            lead_time_business_days=8,
            activation_notice=_before_start(2),
            requires_corporation=True,
            allows_account_transfer=True,
            free_first_month=False,
            cancellable_on_site=False,
            early_termination={"kind": "fixed", "amount": 30000},
            minimum_term_months=12,
            withdrawal_requires_contracts_ended=False,
        ),
        [_plan("vpn-file-share", "1tb", "1TB", "1 TB", 1200, 10000)],
    ),
    (
        "fiber-internet",
        _terms(
            category="network",
            name={"ja": "光インターネット", "en": "Fiber internet access"},
            description={
                "ja": "最大10Gbpsの法人向け光回線。固定IPアドレスも選べます。",
                "en": "Business fiber up to 10 Gbps, with optional static IP addresses.",
            },
            order_unit=1,
            max_quantity_per_order=10,
            takes_phone_orders=True,
            order_fields=_fields(
                ["installation_address", "line_type"],
                installation_address=_field(
                    "string", "設置場所の住所", "Installation address", minLength=5, maxLength=200
                ),
                line_type=_field("string", "回線種別", "Line type", enum=["1gbps", "10gbps"]),
                preferred_survey_date=_field("date", "現地調査の希望日", "Preferred survey date"),
            ),
            lead_time_business_days=15,
            activation_notice=_before_start(5),
            requires_corporation=False,
            allows_account_transfer=True,
            free_first_month=False,
            cancellable_on_site=False,
            early_termination={"kind": "fixed", "amount": 20000},
            minimum_term_months=24,
            withdrawal_requires_contracts_ended=False,
        ),
        [
            _plan("fiber-internet", "1g", "1ギガ", "1 Gbps", 5500, 22000),
            _plan("fiber-internet", "10g", "10ギガ", "10 Gbps", 9800, 22000),
        ],
    ),
    (
        "security-gateway",
        _terms(
            category="security",
            name={"ja": "セキュリティゲートウェイ", "en": "Security gateway"},
            description={
                "ja": "ファイアウォール・ウイルス対策・URLフィルタを1台で。解約はサイトから。",
                "en": "Firewall, antivirus and URL filtering in one box; cancel on the site.",
            },
            order_unit=1,
            max_quantity_per_order=5,
            takes_phone_orders=False,
            order_fields=_fields(
                ["public_ip_count"],
                public_ip_count=_field(
                    "integer", "固定IPアドレス数", "Static IP addresses", enum=[1, 8, 16]
                ),
            ),
            lead_time_business_days=7,
            activation_notice=_ON_ACTIVATION,
            requires_corporation=False,
            allows_account_transfer=True,
            free_first_month=False,
            cancellable_on_site=True,
            early_termination=_REMAINING,
            minimum_term_months=6,
            withdrawal_requires_contracts_ended=True,
        ),
        [_plan("security-gateway", "utm", "UTM", "UTM", 6800, 15000)],
    ),
    (
        "data-backup",
        _terms(
            category="backup",
            name={"ja": "データバックアップ", "en": "Data backup"},
            description={
                "ja": "サーバーとPCのデータを国内データセンターへ自動バックアップ。100GB単位。",
                "en": "Automatic backup of servers and PCs to a Japanese data centre, per 100 GB.",
            },
            order_unit=100,
            max_quantity_per_order=10000,
            takes_phone_orders=True,
            order_fields=_fields(
                ["retention_days"],
                retention_days=_field(
                    "integer", "保管期間（日）", "Retention (days)", enum=[7, 30, 90]
                ),
                encrypt_at_source=_field("boolean", "端末側で暗号化する", "Encrypt at source"),
            ),
            lead_time_business_days=3,
            activation_notice=_ON_ACTIVATION,
            requires_corporation=True,
            allows_account_transfer=False,
            free_first_month=False,
            cancellable_on_site=False,
            early_termination=_NO_FEE,
            minimum_term_months=0,
            withdrawal_requires_contracts_ended=False,
        ),
        [_plan("data-backup", "per-gb", "従量（GB）", "Per GB", 12, 0)],
    ),
    (
        "web-conference",
        _terms(
            category="conferencing",
            name={"ja": "Web会議", "en": "Web conferencing"},
            description={
                "ja": "最大300人まで参加できるWeb会議。録画と議事録作成に対応。",
                "en": "Web meetings for up to 300 participants, with recording and minutes.",
            },
            order_unit=1,
            max_quantity_per_order=50,
            takes_phone_orders=False,
            order_fields=_fields(
                [],
                recording=_field("boolean", "録画機能", "Recording"),
                meeting_prefix=_field(
                    "string", "会議室名の接頭辞", "Meeting room prefix", minLength=2, maxLength=12
                ),
            ),
            lead_time_business_days=0,
            activation_notice=_ON_ACTIVATION,
            requires_corporation=False,
            allows_account_transfer=True,
            free_first_month=True,
            cancellable_on_site=True,
            early_termination=_NO_FEE,
            minimum_term_months=0,
            withdrawal_requires_contracts_ended=False,
        ),
        [_plan("web-conference", "host", "ホストライセンス", "Host licence", 2000, 0)],
    ),
    (
        "iot-sim",
        _terms(
            category="iot",
            name={"ja": "IoT SIM", "en": "IoT SIM"},
            description={
                "ja": "センサーや機器向けの省データ通信SIM。10枚単位でお届けします。",
                "en": "Low-data SIM cards for sensors and devices, shipped in tens.",
            },
            order_unit=10,
            max_quantity_per_order=1000,
            takes_phone_orders=True,
            order_fields=_fields(
                ["apn_name", "delivery_date"],
                apn_name=_field(
                    "string", "APN名", "APN name", pattern=r"^[a-z0-9.-]{3,63}$", maxLength=63
                ),
                delivery_date=_field("date", "配送希望日", "Delivery date"),
            ),
            lead_time_business_days=7,
            activation_notice=_before_start(1),
            requires_corporation=True,
            allows_account_transfer=True,
            free_first_month=True,
            cancellable_on_site=False,
            early_termination={"kind": "fixed", "amount": 5000},
            minimum_term_months=6,
            withdrawal_requires_contracts_ended=True,
        ),
        [_plan("iot-sim", "1mb", "1MB/日", "1 MB a day", 150, 500)],
    ),
]


async def seed_demo_lineup(runtime: Runtime) -> int:
    """Create and publish every demo service not there yet; returns how many were added.

    A service left in draft by an interrupted run is published on the next.
    """
    added = 0
    for slug, terms, plans in DEMO_LINEUP:
        sid = service_id(slug)
        async with catalog_uow(runtime) as uow:
            current = await uow.services.current(sid)
        if current is None:
            current = await handlers.create_service(
                uow=catalog_uow(runtime),
                actor=SEED_ACTOR,
                service_id=sid,
                slug=slug,
                terms=terms,
                plans=plans,
            )
            added += 1
        if current.status == "draft":
            await handlers.publish_service(
                uow=catalog_uow(runtime), service_id=sid, actor=SEED_ACTOR
            )
    await LineupCache(runtime.redis, runtime.settings.redis_namespace).invalidate()
    _log.info("demo lineup loaded", added=added, total=len(DEMO_LINEUP))
    return added


async def seed(runtime: Runtime) -> None:
    """The service definition's seed hook (``python -m catalog seed``)."""
    await seed_demo_lineup(runtime)
