"""R5: the registration form's fields, checked before any handler runs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from identity.api.schemas import RegistrationBody

from .world import PASSWORD


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "taro@example.co.jp",
        "password": PASSWORD,
        "name": "山田 太郎",
        "entity_type": "corporation",
        "corporate_number": "7000012050002",
        "organization_name": "国税庁",
        "postal_code": "100-8978",
        "address": "東京都千代田区霞が関3-1-1",
        "phone": "03-3581-4161",
        "accept_privacy_policy": True,
    }
    body.update(overrides)
    return body


def _bad_fields(**overrides: Any) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        RegistrationBody.model_validate(_body(**overrides))
    return {str(error["loc"][0]) for error in refused.value.errors()}


def test_r5_a_corporation_registers_with_a_valid_corporate_number() -> None:
    registration = RegistrationBody.model_validate(_body()).registration()
    assert registration.corporate_number == "7000012050002"
    assert (registration.postal_code, registration.phone) == ("1008978", "0335814161")


@pytest.mark.parametrize("number", [None, "7000012050003", "700001205000"])
def test_r5_a_corporation_needs_a_corporate_number_with_a_right_check_digit(
    number: str | None,
) -> None:
    assert _bad_fields(corporate_number=number) == {"corporate_number"}


def test_r5_a_sole_proprietor_gives_no_corporate_number() -> None:
    assert _bad_fields(entity_type="sole_proprietor") == {"corporate_number"}


def test_r2_the_privacy_policy_must_be_accepted() -> None:
    assert _bad_fields(accept_privacy_policy=False) == {"accept_privacy_policy"}
