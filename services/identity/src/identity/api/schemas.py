"""Request and answer bodies of identity's HTTP API; validators apply the domain rules."""

from __future__ import annotations

from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from identity.domain import rules


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegistrationBody(_Body):
    """POST /auth/register (R2, R5)."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)
    name: str = Field(min_length=1, max_length=200)
    entity_type: Literal["corporation", "sole_proprietor"]
    corporate_number: str | None = Field(default=None, max_length=32, validate_default=True)
    organization_name: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(max_length=16)
    address: str = Field(min_length=1, max_length=500)
    phone: str = Field(max_length=32)
    accept_privacy_policy: bool
    name_kana: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email_syntax(cls, value: str) -> str:
        return _email(value)

    @field_validator("password")
    @classmethod
    def _password_policy(cls, value: str, info: ValidationInfo) -> str:
        return rules.check_password(value, email=info.data.get("email"))

    @field_validator("corporate_number")
    @classmethod
    def _corporate_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        entity_type = info.data.get("entity_type")
        if entity_type == "corporation":
            if not value:
                raise ValueError("a corporation gives its 13-digit corporate number")
            return rules.check_corporate_number(value)
        if entity_type == "sole_proprietor" and value:
            raise ValueError("a sole proprietor has no corporate number")
        return value

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str) -> str:
        return rules.check_postal_code(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return rules.check_phone(value)

    @field_validator("name_kana")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return rules.check_name_kana(value) if value else None

    @field_validator("accept_privacy_policy")
    @classmethod
    def _accepted(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("the privacy policy must be accepted")
        return value

    def member_fields(self) -> dict[str, Any]:
        """The member's columns (everything but the password and the consent flag)."""
        return self.model_dump(exclude={"password", "accept_privacy_policy"})


class TokenBody(_Body):
    token: str = Field(min_length=1, max_length=200)


class EmailBody(_Body):
    email: str = Field(max_length=320)


class LoginBody(_Body):
    login_id: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=rules.MAX_PASSWORD_LENGTH)


class TotpBody(_Body):
    challenge_token: str = Field(min_length=1, max_length=200)
    code: str = Field(pattern=r"^\d{6}$")


class RefreshBody(_Body):
    refresh_token: str | None = Field(default=None, max_length=200)


class ResetConfirmBody(_Body):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)


class PasswordChangeBody(_Body):
    current_password: str = Field(min_length=1, max_length=rules.MAX_PASSWORD_LENGTH)
    new_password: str = Field(max_length=rules.MAX_PASSWORD_LENGTH)


class ProfilePatch(_Body):
    """PATCH /me (R9): only the fields given change; the login ID is not among them (R8)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    organization_name: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=16)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    phone: str | None = Field(default=None, max_length=32)
    language: Literal["ja", "en"] | None = None
    contact_email: str | None = Field(default=None, max_length=320)

    @field_validator("contact_email")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        return _email(value) if value is not None else None

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str | None) -> str | None:
        return rules.check_postal_code(value) if value is not None else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return rules.check_phone(value) if value is not None else None

    @field_validator(
        "name",
        "organization_name",
        "postal_code",
        "address",
        "phone",
        "language",
        "contact_email",
        mode="before",
    )
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null would erase a value the member must have.
        if value is None:
            raise ValueError("this field cannot be emptied; leave it out to keep it")
        return value


class TokenAnswer(BaseModel):
    """A login or refresh answer."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str | None = None
