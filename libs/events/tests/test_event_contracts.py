"""Every SPEC §5 event is defined once, travels in an envelope and back, and keeps
its secrets out of logs."""

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from bizmall_events import EVENT_TYPES, AggregateEvent, Envelope, IntegrationEvent

#: The SPEC §5 table, one row per event type name.
SPEC_EVENT_TYPES = [
    "identity.member.registered",
    "identity.member.verified",
    "identity.member.profile_changed",
    "identity.member.email_change_requested",
    "identity.password_reset.requested",
    "identity.registration.attempted_existing",
    "identity.document.reviewed",
    "identity.withdrawal.decided",
    "catalog.service.published",
    "catalog.service.updated",
    "catalog.service.retired",
    "ordering.order.placed",
    "ordering.order.accepted",
    "ordering.order.on_hold",
    "ordering.order.rejected",
    "ordering.contract.activated",
    "ordering.activation_notice.due",
    "ordering.contract.cancelled",
    "billing.invoice.issued",
    "billing.invoice.overdue",
    "billing.invoice.debit_failed",
    "billing.account_transfer.decided",
    "notification.inquiry.answered",
]

#: Requests that deliver a token or a warning; they change no aggregate a consumer copies.
REQUEST_EVENT_TYPES = {
    "identity.member.email_change_requested",
    "identity.password_reset.requested",
    "identity.registration.attempted_existing",
}


def _contracts(cls: type[IntegrationEvent]) -> list[type[IntegrationEvent]]:
    found = [cls] if cls.TYPE else []
    for sub in cls.__subclasses__():
        found.extend(_contracts(sub))
    return found


def _ours() -> dict[str, type[IntegrationEvent]]:
    """The registered contracts of bizmall itself (tests may register probe events)."""
    return {k: v for k, v in EVENT_TYPES.items() if v.__module__.startswith("bizmall_events.")}


def test_every_spec_event_type_is_registered() -> None:
    assert sorted(_ours()) == sorted(SPEC_EVENT_TYPES)


def test_every_event_type_is_defined_exactly_once() -> None:
    counts = Counter(
        cls.TYPE
        for cls in _contracts(IntegrationEvent)
        if cls.__module__.startswith("bizmall_events.")
    )
    assert counts == Counter(SPEC_EVENT_TYPES)


def test_event_type_is_prefixed_by_its_publishing_module() -> None:
    for name, cls in _ours().items():
        publisher = name.split(".")[0]
        assert cls.__module__ == f"bizmall_events.{publisher}", name


def test_every_contract_has_a_docstring_naming_publisher_and_consumers() -> None:
    for name, cls in _ours().items():
        assert cls.__doc__ is not None, name
        assert f"{name.split('.')[0]} →" in " ".join(cls.__doc__.split()), name


@pytest.mark.parametrize("type_name", SPEC_EVENT_TYPES)
def test_event_round_trips_through_the_envelope_as_json(
    type_name: str, samples: dict[str, IntegrationEvent]
) -> None:
    event = samples[type_name]
    envelope = Envelope.wrap(event, producer=type_name.split(".")[0], correlation_id="req-1")
    wire = envelope.model_dump_json()

    received = Envelope.model_validate_json(wire)
    parsed = EVENT_TYPES[received.type].model_validate(received.data)

    assert received.type == type_name
    assert received.version == event.SCHEMA_VERSION
    assert received.correlation_id == "req-1"
    assert received.occurred_at.utcoffset() is not None
    assert type(parsed) is type(event)
    assert parsed == event


@pytest.mark.parametrize("type_name", SPEC_EVENT_TYPES)
def test_event_is_frozen(type_name: str, samples: dict[str, IntegrationEvent]) -> None:
    event = samples[type_name]
    field = next(iter(type(event).model_fields))
    with pytest.raises(ValidationError):
        setattr(event, field, getattr(event, field))


@pytest.mark.parametrize("type_name", SPEC_EVENT_TYPES)
def test_consumer_ignores_fields_it_does_not_know_yet(
    type_name: str, samples: dict[str, IntegrationEvent]
) -> None:
    data = samples[type_name].model_dump(mode="json") | {"added_in_a_later_version": 1}
    assert EVENT_TYPES[type_name].model_validate(data) == samples[type_name]


@pytest.mark.parametrize("type_name", sorted(set(SPEC_EVENT_TYPES) - REQUEST_EVENT_TYPES))
def test_event_about_an_aggregate_carries_its_version(
    type_name: str, samples: dict[str, IntegrationEvent]
) -> None:
    cls = EVENT_TYPES[type_name]
    assert issubclass(cls, AggregateEvent)
    assert cls.model_fields["aggregate_version"].is_required()
    event = samples[type_name]
    assert isinstance(event, AggregateEvent)
    assert isinstance(event.aggregate_id, uuid.UUID)
    data = event.model_dump(mode="json")
    assert data["aggregate_version"] == event.aggregate_version
    with pytest.raises(ValidationError):
        cls.model_validate(data | {"aggregate_version": 0})


@pytest.mark.parametrize("type_name", sorted(REQUEST_EVENT_TYPES))
def test_request_events_name_the_member_but_carry_no_version(type_name: str) -> None:
    cls = EVENT_TYPES[type_name]
    assert not issubclass(cls, AggregateEvent)
    assert "member_id" in cls.model_fields


def test_stale_update_is_recognised_by_version(samples: dict[str, IntegrationEvent]) -> None:
    event = samples["identity.member.profile_changed"]
    assert isinstance(event, AggregateEvent)
    assert event.is_newer_than(None)
    assert event.is_newer_than(event.aggregate_version - 1)
    assert not event.is_newer_than(event.aggregate_version)
    assert not event.is_newer_than(event.aggregate_version + 1)


def _secret_contracts() -> list[str]:
    return sorted(name for name, cls in _ours().items() if cls.SECRET_FIELDS)


def test_token_events_declare_their_secrets() -> None:
    assert _secret_contracts() == [
        "identity.member.email_change_requested",
        "identity.member.registered",
        "identity.password_reset.requested",
    ]


@pytest.mark.parametrize("type_name", SPEC_EVENT_TYPES)
def test_secret_fields_are_exactly_the_sealed_fields(type_name: str) -> None:
    cls = EVENT_TYPES[type_name]
    sealed = {name for name in cls.model_fields if name.startswith("sealed_")}
    assert cls.SECRET_FIELDS == sealed
    token_fields = {name for name in cls.model_fields if "token" in name}
    assert token_fields - sealed <= {"token_expires_at"}


@pytest.mark.parametrize("type_name", _secret_contracts())
def test_redaction_hides_every_secret_field(
    type_name: str, samples: dict[str, IntegrationEvent], event_key: Fernet
) -> None:
    event = samples[type_name]
    envelope = Envelope.wrap(event, producer="identity", correlation_id="req-2")

    redacted = envelope.redacted()

    for name in event.SECRET_FIELDS:
        ciphertext = getattr(event, name)
        assert redacted["data"][name] == "[REDACTED]"
        assert ciphertext not in json.dumps(redacted)
        # The envelope itself still carries the sealed token for its consumer.
        assert event_key.decrypt(envelope.data[name].encode())
    assert redacted["data"]["member_id"] == str(event.member_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("plaintext", ["verify-5f1c", "", "gAAAAA", "not base64 !!"])
def test_a_plaintext_token_is_refused_in_a_sealed_field(
    plaintext: str, samples: dict[str, IntegrationEvent]
) -> None:
    data: dict[str, Any] = samples["identity.password_reset.requested"].model_dump()
    with pytest.raises(ValidationError, match="Fernet"):
        EVENT_TYPES["identity.password_reset.requested"].model_validate(
            data | {"sealed_reset_token": plaintext}
        )
