"""What billing's rules say when they refuse (answered as problem+json at the edge)."""

from __future__ import annotations

from datetime import date

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


class RunNotFound(NotFound):
    """A billing run that is not there (R39)."""

    def __init__(self) -> None:
        super().__init__(
            "billing.run_not_found", ja="請求処理が見つかりません。", en="No such billing run."
        )


# --- account-transfer collection (R35) -------------------------------------------------


class NotACollectionDate(Invalid):
    """Debits are collected on the 27th, or the next business day when it is not one."""

    def __init__(self, expected: date) -> None:
        super().__init__(
            "billing.not_a_collection_date",
            ja=f"口座振替日ではありません。この月の振替日は {expected.isoformat()} です。",
            en=f"Not a collection date: this month's is {expected.isoformat()}.",
            collection_date=expected.isoformat(),
        )


class DebitBatchNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "billing.debit_batch_not_found",
            ja="口座振替の請求データが見つかりません。",
            en="No such debit batch.",
        )


class ZenginFileInvalid(Invalid):
    """A result file that is not the Zengin account-transfer layout, or does not answer
    this batch; ``line`` is the record (1-based) at fault, 0 for the whole file."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(
            "billing.zengin_file_invalid",
            ja=f"振替結果ファイルの {line} 行目が不正です: {problem}",
            en=f"The result file is invalid at record {line}: {problem}",
            line=line,
            problem=problem,
        )


class DebitResultConflict(Conflict):
    """A result file contradicting a result already applied to a debit."""

    def __init__(self, line: int, applied: str, given: str) -> None:
        super().__init__(
            "billing.debit_result_conflict",
            ja=f"{line} 行目の引落しには結果コード {applied} が反映済みです"
            f"（ファイルは {given}）。",
            en=f"Record {line}: the debit already has result code {applied}, not {given}.",
            line=line,
        )


class DebitPending(Conflict):
    """An invoice whose debit was asked of the bank waits for the result first."""

    def __init__(self) -> None:
        super().__init__(
            "billing.debit_pending",
            ja="口座振替の結果待ちの請求書です。振替結果の反映後に操作してください。",
            en="This invoice's debit is with the bank; apply its result first.",
        )
