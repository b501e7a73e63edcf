// One invoice at the ops desk: its header, lines and what was paid; ops record a payment
// by hand (partial payments add up) or void the invoice and issue its correction, which
// keeps nothing of the void one but its reference and nets what was paid on it (R24, R37).
import { useState } from "preact/hooks";
import { api, post, type Schema } from "../api";
import { loc, statusLabel, t, yen } from "../i18n";
import { Link, navigate, queryParam } from "../router";
import { Checkbox, InputField, TextAreaField } from "../forms";
import { Table, Terms } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useLoad, useSubmit } from "../ui";
import { OpsFrame, MemberNote, type MemberRef } from "./ops";

type Invoice = Schema<"InvoiceView">;
type Line = Invoice["lines"][number];
type OpsInvoice = Schema<"OpsInvoiceSummary">;

const BASE = "/api/v1/ops/billing/invoices";

const KINDS = ["monthly_fee", "prorated_fee", "initial_fee", "termination_fee", "adjustment"] as const;
type Kind = (typeof KINDS)[number];

/** A corrected line as the form edits it (numbers as typed). */
type DraftLine = {
  key: number;
  label_ja: string;
  label_en: string;
  quantity: string;
  unit_price: string;
  taxable: boolean;
  contract_id: string | null;
  kind: Kind;
};

/** Today in Japan (business dates are Asia/Tokyo), as YYYY-MM-DD. */
function today(): string {
  return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
}

function balance(invoice: Invoice): number {
  return Math.max(invoice.total - invoice.paid_amount, 0);
}

let nextKey = 1;

function draftOf(line: Line): DraftLine {
  return {
    key: nextKey++,
    label_ja: line.name.ja,
    label_en: line.name.en,
    quantity: String(line.quantity),
    unit_price: String(line.unit_price),
    taxable: line.tax_category === "10%",
    contract_id: line.contract_id ?? null,
    kind: (KINDS as readonly string[]).includes(line.kind) ? (line.kind as Kind) : "adjustment",
  };
}

function emptyDraft(): DraftLine {
  return {
    key: nextKey++,
    label_ja: "",
    label_en: "",
    quantity: "1",
    unit_price: "0",
    taxable: true,
    contract_id: null,
    kind: "adjustment",
  };
}

/** The invoice's member, from the address (``?member_id=``, as the customer page links it):
 * billing's list of that member's invoices names them (R30), else the invoice's addressee. */
function useMemberRef(invoice: Invoice): MemberRef | null {
  const memberId = queryParam("member_id") ?? "";
  const listed = useLoad(
    () =>
      memberId
        ? api<{ items: OpsInvoice[] }>(`${BASE}?member_id=${encodeURIComponent(memberId)}&limit=200`)
        : Promise.resolve({ items: [] as OpsInvoice[] }),
    [invoice.id, memberId],
  );
  if (!memberId) return null;
  const found = listed.data?.items.find((item) => item.id === invoice.id || item.id === invoice.corrects_invoice_id);
  return {
    member_id: memberId,
    member_organization_name: found?.member_organization_name ?? (invoice.recipient.organization_name as string | undefined) ?? null,
    member_name: found?.member_name ?? (invoice.recipient.name as string | undefined) ?? null,
  };
}

/** The address of an invoice's page, keeping the member it is shown for. */
function invoicePath(id: string): string {
  const memberId = queryParam("member_id");
  return `/ops/billing/invoices/${id}${memberId ? `?member_id=${encodeURIComponent(memberId)}` : ""}`;
}

function Header({ invoice }: { invoice: Invoice }) {
  const member = useMemberRef(invoice);
  return (
    <>
      <p>
        {member ? <MemberNote item={member} /> : <small class="member-note">{[invoice.recipient.organization_name, invoice.recipient.name].filter(Boolean).join(" / ")}</small>}
      </p>
      <Terms
        class="rules invoice-header"
        rows={[
          [t("invoiceNumber"), <span id="invoice-number">{invoice.invoice_number}</span>],
          [t("service"), loc(invoice.service_name)],
          [t("usagePeriod"), `${invoice.usage_period_start} – ${invoice.usage_period_end}`],
          [t("invIssueDate"), invoice.issue_date],
          [t("dueDate"), invoice.due_date],
          invoice.fallback_due_date ? [t("invFallbackDue"), invoice.fallback_due_date] : null,
          [t("status"), <span id="invoice-status" data-status={invoice.status}>{statusLabel(invoice.status)}</span>],
          invoice.void_reason ? [t("invVoidReason"), <span id="invoice-void-reason">{invoice.void_reason}</span>] : null,
          invoice.corrects_invoice_id
            ? [t("invCorrects"), <Link href={invoicePath(invoice.corrects_invoice_id)}>{t("invOriginal")}</Link>]
            : null,
          [t("total"), <span id="invoice-total">{yen(invoice.total)}</span>],
          [t("paidAmount"), <span id="invoice-paid">{yen(invoice.paid_amount)}</span>],
          [t("invBalance"), <span id="invoice-balance">{yen(balance(invoice))}</span>],
        ]}
      />
    </>
  );
}

function Lines({ invoice }: { invoice: Invoice }) {
  return (
    <section aria-labelledby="invoice-lines-heading">
      <h4 id="invoice-lines-heading">{t("invLines")}</h4>
      <Table
        class="invoice-lines"
        columns={[t("invLabel"), t("quantity"), t("invUnitPrice"), t("invAmount"), t("invTax")]}
        items={invoice.lines}
        row={(line) => (
          <tr key={line.position} data-position={line.position}>
            <th scope="row">
              {loc(line.name)}
              {line.period_start && (
                <small class="line-period">
                  {" "}
                  ({line.period_start} – {line.period_end ?? ""})
                </small>
              )}
            </th>
            <td>{line.quantity}</td>
            <td class="nowrap">{yen(line.unit_price)}</td>
            <td class="nowrap">{yen(line.amount)}</td>
            <td>{line.tax_category === "10%" ? "10%" : t("invNonTaxable")}</td>
          </tr>
        )}
      />
      <p class="invoice-tax">
        {t("invTaxLine", { taxable: yen(invoice.taxable_subtotal), tax: yen(invoice.tax), exempt: yen(invoice.non_taxable_subtotal) })}
      </p>
    </section>
  );
}

/** What was paid so far (the API keeps the sum; each payment is in the audit log, R29). */
function Payments({ invoice }: { invoice: Invoice }) {
  return (
    <section aria-labelledby="invoice-payments-heading">
      <h4 id="invoice-payments-heading">{t("invPayments")}</h4>
      <p id="invoice-payments">
        {invoice.paid_amount > 0
          ? t("invPaidSoFar", { paid: yen(invoice.paid_amount), balance: yen(balance(invoice)) })
          : t("invNoPayments")}
      </p>
    </section>
  );
}

function RecordPayment({ invoice, changed }: { invoice: Invoice; changed: (i: Invoice) => void }) {
  const [amount, setAmount] = useState(String(balance(invoice)));
  const [paidOn, setPaidOn] = useState(today());
  const [done, setDone] = useState(false);
  const { submit, error, busy } = useSubmit(
    () => {
      setDone(false);
      return post<Invoice>(`${BASE}/${invoice.id}/payments`, { amount: Number(amount), paid_on: paidOn });
    },
    (paid) => {
      setDone(true);
      setAmount(String(balance(paid)));
      changed(paid);
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="payment-heading">
      <h4 id="payment-heading">{t("invRecordPayment")}</h4>
      <InputField
        id="payment-amount"
        label={t("invPaymentAmount")}
        hint={t("invPaymentAmountHint")}
        type="number"
        min={1}
        step={1}
        required
        value={amount}
        set={setAmount}
      />
      <InputField id="payment-paid-on" label={t("invPaidOn")} type="date" required value={paidOn} set={setPaidOn} />
      <ProblemView error={error} />
      <Success shown={done}>{t("invPaymentRecorded", { balance: yen(balance(invoice)) })}</Success>
      <button type="submit" disabled={busy}>
        {t("invRecordPaymentButton")}
      </button>
    </form>
  );
}

function DraftLineFields(props: {
  line: DraftLine;
  n: number;
  update: (patch: Partial<DraftLine>) => void;
  remove: (() => void) | null;
}) {
  const { line, n, update } = props;
  const id = (name: string) => `correct-line-${line.key}-${name}`;
  return (
    <fieldset class="correct-line" data-line={n}>
      <legend>{t("invLineN", { n })}</legend>
      <InputField id={id("ja")} label={t("invLabelJa")} required value={line.label_ja} set={(v) => update({ label_ja: v })} />
      <InputField id={id("en")} label={t("invLabelEn")} required value={line.label_en} set={(v) => update({ label_en: v })} />
      <InputField
        id={id("quantity")}
        label={t("quantity")}
        type="number"
        min={1}
        step={1}
        required
        value={line.quantity}
        set={(v) => update({ quantity: v })}
      />
      <InputField
        id={id("price")}
        label={t("invUnitPrice")}
        type="number"
        min={0}
        step={1}
        required
        value={line.unit_price}
        set={(v) => update({ unit_price: v })}
      />
      <Checkbox id={id("taxable")} checked={line.taxable} set={(v) => update({ taxable: v })}>
        {t("invTaxable")}
      </Checkbox>
      {props.remove && (
        <ActionButton secondary onClick={props.remove}>
          {t("invRemoveLine", { n })}
        </ActionButton>
      )}
    </fieldset>
  );
}

function VoidAndCorrect({ invoice }: { invoice: Invoice }) {
  const [reason, setReason] = useState("");
  const [lines, setLines] = useState<DraftLine[]>(() => invoice.lines.map(draftOf));
  const [confirming, setConfirming] = useState(false);
  const newTotal = lines.reduce((sum, l) => sum + (Number(l.quantity) || 0) * (Number(l.unit_price) || 0), 0);
  const { submit, error, busy } = useSubmit(
    () =>
      post<Invoice>(`${BASE}/${invoice.id}/correct`, {
        reason,
        lines: lines.map((l) => ({
          label_ja: l.label_ja,
          label_en: l.label_en,
          quantity: Number(l.quantity),
          unit_price: Number(l.unit_price),
          taxable: l.taxable,
          contract_id: l.contract_id,
          kind: l.kind,
        })),
      }),
    (corrected) => navigate(invoicePath(corrected.id)),
  );
  const update = (key: number) => (patch: Partial<DraftLine>) => {
    setConfirming(false);
    setLines((old) => old.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  };
  const review = (event: Event) => {
    event.preventDefault();
    setConfirming(true);
  };
  return (
    <form class="form" onSubmit={confirming ? submit : review} aria-labelledby="correct-heading">
      <h4 id="correct-heading">{t("invVoidAndCorrect")}</h4>
      <p class="hint">{t("invCorrectHint")}</p>
      <TextAreaField
        id="correct-reason"
        label={t("invCorrectReason")}
        required
        maxLength={500}
        rows={2}
        value={reason}
        set={(v) => {
          setConfirming(false);
          setReason(v);
        }}
      />
      {lines.map((line, i) => (
        <DraftLineFields
          key={line.key}
          line={line}
          n={i + 1}
          update={update(line.key)}
          remove={
            lines.length > 1
              ? () => {
                  setConfirming(false);
                  setLines((old) => old.filter((l) => l.key !== line.key));
                }
              : null
          }
        />
      ))}
      <div class="actions">
        <ActionButton
          secondary
          onClick={() => {
            setConfirming(false);
            setLines((old) => [...old, emptyDraft()]);
          }}
        >
          {t("invAddLine")}
        </ActionButton>
      </div>
      <p id="correct-subtotal">{t("invCorrectSubtotal", { amount: yen(newTotal) })}</p>
      <ProblemView error={error} />
      {confirming ? (
        <div role="alert" class="confirm">
          <p>{t("invCorrectConfirm", { number: invoice.invoice_number, paid: yen(invoice.paid_amount) })}</p>
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t("invCorrectDo")}
            </button>
            <ActionButton secondary onClick={() => setConfirming(false)}>
              {t("invCorrectBack")}
            </ActionButton>
          </div>
        </div>
      ) : (
        <button type="submit">{t("invCorrectReview")}</button>
      )}
    </form>
  );
}

export function OpsInvoicePage({ id }: { id: string }) {
  const [invoice, setInvoice] = useState<Invoice | null>(null);
  const loaded = useLoad(() => api<Invoice>(`${BASE}/${id}`).then(setInvoice), [id]);
  const open = invoice !== null && invoice.status !== "void";
  return (
    <OpsFrame title={invoice ? t("invTitle", { number: invoice.invoice_number }) : t("invoices")} headingId="invoice-heading">
      <Loading error={loaded.error}>
        {invoice && (
          <>
            <Header invoice={invoice} />
            <Lines invoice={invoice} />
            <Payments invoice={invoice} />
            {open && invoice.status !== "paid" && <RecordPayment invoice={invoice} changed={setInvoice} />}
            {open && <VoidAndCorrect key={invoice.id} invoice={invoice} />}
          </>
        )}
      </Loading>
    </OpsFrame>
  );
}
