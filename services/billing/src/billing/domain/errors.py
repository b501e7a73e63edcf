"""What billing's rules say when they refuse (answered as problem+json at the edge)."""

from __future__ import annotations

from servicekit.errors import Conflict, Invalid, NotFound


class AccountNotFound(NotFound):
    """A member without a billing account (not verified yet), or an operator."""

    def __init__(self) -> None:
        super().__init__(
            "billing.account_not_found",
            ja="請求アカウントがまだありません。会員登録の完了後にご利用いただけます。",
            en="There is no billing account yet; it opens once registration is complete.",
        )


class AccountTransferActive(Conflict):
    """The account is already debited by account transfer (R21)."""

    def __init__(self) -> None:
        super().__init__(
            "billing.account_transfer_active",
            ja="すでに口座振替をご利用中です。口座の変更はお問い合わせください。",
            en="Account transfer is already in use; contact us to change the bank account.",
        )


class AccountTransferPending(Conflict):
    """An application of the account is still waiting for ops (R21)."""

    def __init__(self) -> None:
        super().__init__(
            "billing.account_transfer_pending",
            ja="口座振替のお申し込みは手続き中です。",
            en="An account-transfer application is already being processed.",
        )


class TransferNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "billing.account_transfer_not_found",
            ja="口座振替の申込みが見つかりません。",
            en="No such account-transfer application.",
        )


class ReasonRequired(Invalid):
    """A rejected application tells the member why."""

    def __init__(self) -> None:
        super().__init__(
            "billing.reason_required",
            ja="却下の理由を入力してください。",
            en="A rejection needs the reason shown to the member.",
        )


class TransferNotPending(Conflict):
    """Ops tried to decide an application that is already decided."""

    def __init__(self, status: str = "") -> None:
        super().__init__(
            "billing.account_transfer_decided",
            ja="この申込みはすでに処理済みです。",
            en="This application has already been decided.",
        )
        self.status = status


class InvoiceNotFound(NotFound):
    """An invoice that is not there — or not the caller's."""

    def __init__(self) -> None:
        super().__init__(
            "billing.invoice_not_found", ja="請求書が見つかりません。", en="No such invoice."
        )


class InvoiceVoid(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "billing.invoice_void",
            ja="この請求書は無効化されています。",
            en="This invoice has been voided.",
        )


class NotAPendingTransfer(Conflict):
    """A failed debit is recorded only on an account-transfer invoice still waiting for it."""

    def __init__(self) -> None:
        super().__init__(
            "billing.not_a_pending_transfer",
            ja="口座振替の引落し待ちの請求書ではありません。",
            en="This invoice is not waiting for an account-transfer debit.",
        )


class InvoiceHasPayments(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "billing.invoice_has_payments",
            ja="入金済みの請求書は訂正できません。",
            en="An invoice with recorded payments cannot be corrected.",
        )


class MonthNotEnded(Invalid):
    """A usage month is billed once it has ended (R23)."""

    def __init__(self) -> None:
        super().__init__(
            "billing.month_not_ended",
            ja="利用月が終了していないため請求できません。",
            en="A usage month is billed once it has ended.",
        )
