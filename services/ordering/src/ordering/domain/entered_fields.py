"""What a member entered in a service's order fields (R13), labelled for ops (R31).

The labels come from the order-field definition of the service version the order
was placed on (catalog's JSON Schema: ``title`` is the Japanese label,
``x-title-en`` the English one), so a field renamed or dropped later still reads
as the member saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bizmall_events import LocalizedText


@dataclass(frozen=True)
class EnteredField:
    """One value of an order's ``options`` with the label the order form showed."""

    name: str
    label: LocalizedText
    value: Any


def _label(name: str, spec: dict[str, Any]) -> LocalizedText:
    # A definition without labels (older ones) still reads: the field's name stands in.
    ja = spec.get("title") or name
    return LocalizedText(ja=ja, en=spec.get("x-title-en") or ja)


def label_entered_fields(
    definition: dict[str, Any] | None, options: dict[str, Any]
) -> list[EnteredField]:
    """Each entered value with its label, in the order of the definition's properties; a
    value the definition does not describe (or no definition known) comes after them,
    labelled by its name."""
    properties: dict[str, Any] = (definition or {}).get("properties") or {}
    described = [name for name in properties if name in options]
    others = sorted(name for name in options if name not in properties)
    return [
        EnteredField(name=name, label=_label(name, properties.get(name) or {}), value=options[name])
        for name in (*described, *others)
    ]
