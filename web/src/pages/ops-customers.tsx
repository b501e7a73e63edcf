// The back office (R30–R33): the customer directory and a customer's page composed
// from every service's ops API, the ops order view, ending a contract for the
// contact center, and the withdrawal desk. The API checks the ops role on every call.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { post } from "../api";
import { dateTime, labels, loc, statusLabel, t, yen, type Localized } from "../i18n";
import { Link, queryParam } from "../router";
import { InputField, TextAreaField } from "../forms";
import { MoreButton, PagedTable, Terms, usePaged, type Term } from "../lists";
import { Loading, ProblemView, Success, useApi, useSubmit } from "../ui";
import { bankAccountText, documentTypeLabel, reviewLabel, transferLabel } from "./account";
import type { OpsTransfer } from "./ops-desk";
import {
  contractColumns,
  contractRow,
  InquiryList,
  orderColumns,
  orderRow,
  orderTerms,
  QuoteForm,
  StatusHistory,
  type Contract,
  type Inquiry,
  type Order,
} from "./member";
import { AuditTrail } from "./ops-audit";
import { Decision, MemberNote, OpsFrame, StatusFilter, type MemberRef, type OpsOrder } from "./ops";

// ---- what the services answer ----------------------------------------------

/** A member as the directory lists them. */
type DirectoryEntry = {
  id: string;
  status: string;
  entity_type?: string | null;
  organization_name?: string | null;
  name?: string | null;
  name_kana?: string | null;
  corporate_number?: string | null;
  login_id?: string | null;
  contact_email?: string | null;
  phone?: string | null;
  registered_at?: string | null;
};

type BlockingItem = { kind: "order" | "contract"; id: string; service_name: Localized; ends_on?: string | null };

type Withdrawal = {
  id: string;
  member_id: string;
  status: string;
  stage?: string | null;
  blocking_items?: BlockingItem[];
  current_blockers?: BlockingItem[] | null;
  reason?: string | null;
  requested_at?: string | null;
  decided_at?: string | null;
  decided_by?: string | null;
  member?: DirectoryEntry | null;
};

type OpsDocument = { document_type: string; status: string; reason?: string | null; uploaded_at?: string | null };

/** A member's record for ops: the directory's fields and the rest of the profile. */
type OpsMember = DirectoryEntry & {
  department?: string | null;
  postal_code?: string | null;
  address?: string | null;
  language?: string | null;
  pending_contact_email?: string | null;
  privacy_policy_version?: string | null;
  privacy_policy_accepted_at?: string | null;
  verified_at?: string | null;
  identity_document?: OpsDocument | null;
  withdrawal?: Withdrawal | null;
};

type EnteredField = { name: string; label?: Localized | null; value: unknown };

/** One order as ops review it (R31): the entered order fields with their labels. */
type OpsOrderDetail = Order & MemberRef & { entered_fields?: EnteredField[] };

/** A contract as ops see it (R32): its member, and who ended it, when and why. */
type OpsContract = Contract &
  MemberRef & {
    cancelled_at?: string | null;
    cancelled_by?: string | null;
    cancellation_reason?: string | null;
  };

type Quote = {
  contract_id: string;
  end_date: string;
  early_termination_fee: number;
  cancellable_on_site?: boolean;
  minimum_term_last_day?: string | null;
};

type OpsInvoice = {
  id: string;
  invoice_number: string;
  status: string;
  service_name: Localized;
  usage_period_start: string;
  usage_period_end: string;
  due_date: string;
  total: number;
  paid_amount?: number;
};

const memberStatusLabel = labels({
  pending_verification: "memberPending",
  active: "memberActive",
  withdrawn: "memberWithdrawn",
});

const withdrawalStageLabel = labels({
  checking_orders: "wdChecking",
  awaiting_confirmation: "wdAwaiting",
  refused: "wdRefused",
  withdrawn: "wdWithdrawn",
});

/** The desk's filters (the API's ``status``) as the stage they show. */
const WITHDRAWAL_FILTERS: Record<string, string> = { pending: "awaiting_confirmation", checking: "checking_orders" };

/** A withdrawal request's state in words: its stage while pending, else its status. */
function withdrawalLabel(request: Withdrawal): string {
  return withdrawalStageLabel(request.status === "pending" ? (request.stage ?? "awaiting_confirmation") : request.status);
}

const entityLabel = labels({ corporation: "corporation", sole_proprietor: "soleProprietor" });
const cancelledByLabel = labels({ member: "byMember", ops: "byOps" });

/** An id in the query of an API path. */
const q = (value: string) => encodeURIComponent(value);

// ---- customer directory (R30) ----------------------------------------------

function customerName(entry: DirectoryEntry): string {
  return [entry.organization_name, entry.name].filter(Boolean).join(" / ") || entry.id;
}

export function OpsCustomersPage() {
  const [text, setText] = useState(queryParam("q") ?? "");
  const [query, setQuery] = useState(queryParam("q") ?? "");
  const results = usePaged<DirectoryEntry>(query ? `/api/v1/ops/identity/members?q=${q(query)}&limit=20` : null);
  // The search box is where an operator taking a call starts.
  useEffect(() => document.getElementById("customer-q")?.focus(), []);
  const search = (event: Event) => {
    event.preventDefault();
    const wanted = text.trim();
    // The search stays in the address, so going back to the directory shows it again.
    history.replaceState(null, "", wanted ? `/ops/customers?q=${q(wanted)}` : "/ops/customers");
    setQuery(wanted);
  };
  return (
    <OpsFrame title={t("opsCustomers")} headingId="customers-heading">
      <form class="form wide" role="search" onSubmit={search}>
        <InputField
          id="customer-q"
          type="search"
          label={t("customerSearch")}
          hint={t("customerSearchHint")}
          value={text}
          set={setText}
        />
        <button type="submit">{t("search")}</button>
      </form>
      {query && (
        <PagedTable
          list={results}
          class="customers"
          columns={[t("organizationName"), t("name"), t("entityType"), t("loginId"), t("phone"), t("status"), t("registeredAt")]}
          row={(entry) => (
            <tr key={entry.id} data-member-id={entry.id}>
              <th scope="row">
                <Link href={`/ops/customers/${entry.id}`}>{entry.organization_name || entry.id}</Link>
              </th>
              <td>
                {entry.name}
                {entry.name_kana && (
                  <>
                    <br />
                    <small class="kana">{entry.name_kana}</small>
                  </>
                )}
              </td>
              <td>{entry.entity_type ? entityLabel(entry.entity_type) : "—"}</td>
              <td>
                {entry.login_id}
                {entry.contact_email && entry.contact_email !== entry.login_id && (
                  <>
                    <br />
                    <small>{entry.contact_email}</small>
                  </>
                )}
              </td>
              <td>{entry.phone}</td>
              <td>{memberStatusLabel(entry.status)}</td>
              <td>{entry.registered_at && dateTime(entry.registered_at)}</td>
            </tr>
          )}
          empty={<p class="no-customers">{t("noCustomers")}</p>}
        />
      )}
    </OpsFrame>
  );
}

// ---- a customer's page ------------------------------------------------------

/** What blocks a withdrawal, each order or contract by its service. */
function Blockers({ items }: { items: BlockingItem[] }) {
  if (!items.length) return <>{t("noBlockers")}</>;
  return (
    <ul class="blocking">
      {items.map((item) => (
        <li key={item.id} data-kind={item.kind}>
          {item.kind === "order" ? t("openOrder") : t("openContract")}: {loc(item.service_name)}
          {item.ends_on && ` (${t("endsOn", { d: item.ends_on })})`}
        </li>
      ))}
    </ul>
  );
}

function WithdrawalTerms({ request }: { request: Withdrawal | null | undefined }) {
  if (!request) return <p class="withdrawal-state">{t("noWithdrawal")}</p>;
  const blockers = request.current_blockers ?? request.blocking_items ?? [];
  return (
    <Terms
      class="rules withdrawal-state"
      rows={[
        [t("status"), withdrawalLabel(request), "withdrawal-status"],
        [t("requestedAt"), request.requested_at ? dateTime(request.requested_at) : "—"],
        [t("blockers"), <Blockers items={blockers} />],
        request.reason ? [t("reason"), request.reason] : null,
        request.decided_at ? [t("decidedAt"), dateTime(request.decided_at)] : null,
      ]}
    />
  );
}

function Profile({ member }: { member: OpsMember }) {
  const policy = member.privacy_policy_version
    ? t("policyVersion", {
        v: member.privacy_policy_version,
        at: member.privacy_policy_accepted_at ? dateTime(member.privacy_policy_accepted_at) : "—",
      })
    : t("notAccepted");
  const document = member.identity_document;
  return (
    <Terms
      class="rules profile"
      rows={[
        [t("organizationName"), member.organization_name ?? ""],
        [t("name"), member.name ?? ""],
        [t("nameKana"), member.name_kana ?? "—"],
        [t("entityType"), member.entity_type ? entityLabel(member.entity_type) : "—"],
        member.corporate_number ? [t("corporateNumber"), member.corporate_number] : null,
        member.department ? [t("department"), member.department] : null,
        [t("loginId"), member.login_id ?? ""],
        [t("currentContactEmail"), member.contact_email ?? ""],
        member.pending_contact_email
          ? [t("newContactEmail"), t("pendingContactEmail", { email: member.pending_contact_email })]
          : null,
        [t("phone"), member.phone ?? ""],
        [t("address"), [member.postal_code, member.address].filter(Boolean).join(" ")],
        [t("memberId"), member.id],
        [t("status"), memberStatusLabel(member.status), "member-status"],
        [t("registeredAt"), member.registered_at ? dateTime(member.registered_at) : "—"],
        member.verified_at ? [t("verifiedAt"), dateTime(member.verified_at)] : null,
        [t("policyAccepted"), policy],
        [
          t("identityDocuments"),
          document
            ? `${documentTypeLabel(document.document_type)}: ${reviewLabel(document.status)}${document.reason ? ` (${document.reason})` : ""}`
            : t("noDocuments"),
        ],
      ]}
    />
  );
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={props.id} class="customer-part">
      <h4 id={props.id}>{props.title}</h4>
      {props.children}
    </section>
  );
}

function OrdersPart({ memberId }: { memberId: string }) {
  const orders = usePaged<OpsOrder>(`/api/v1/ops/ordering/orders?member_id=${q(memberId)}&limit=20`);
  return (
    <Section id="customer-orders" title={t("orders")}>
      <PagedTable
        list={orders}
        class="customer-orders"
        columns={orderColumns()}
        row={orderRow("/ops/orders")}
        empty={<p>{t("noOrders")}</p>}
      />
    </Section>
  );
}

function ContractsPart({ memberId }: { memberId: string }) {
  const contracts = usePaged<OpsContract>(`/api/v1/ops/ordering/contracts?member_id=${q(memberId)}&limit=20`);
  return (
    <Section id="customer-contracts" title={t("contracts")}>
      <PagedTable
        list={contracts}
        class="customer-contracts"
        columns={contractColumns()}
        row={contractRow("/ops/contracts")}
        empty={<p>{t("noContracts")}</p>}
      />
    </Section>
  );
}

function InvoicesPart({ memberId }: { memberId: string }) {
  const invoices = usePaged<OpsInvoice>(`/api/v1/ops/billing/invoices?member_id=${q(memberId)}&limit=20`);
  return (
    <Section id="customer-invoices" title={t("invoices")}>
      <PagedTable
        list={invoices}
        class="customer-invoices"
        columns={[t("invoiceNumber"), t("service"), t("usagePeriod"), t("dueDate"), t("total"), t("paidAmount"), t("status")]}
        row={(invoice) => (
          <tr key={invoice.id} data-invoice-id={invoice.id}>
            <th scope="row">
              <Link href={`/ops/billing/invoices/${invoice.id}?member_id=${q(memberId)}`}>{invoice.invoice_number}</Link>
            </th>
            <td>{loc(invoice.service_name)}</td>
            <td>
              {invoice.usage_period_start} – {invoice.usage_period_end}
            </td>
            <td>{invoice.due_date}</td>
            <td>{yen(invoice.total)}</td>
            <td>{invoice.paid_amount !== undefined ? yen(invoice.paid_amount) : "—"}</td>
            <td>{statusLabel(invoice.status)}</td>
          </tr>
        )}
        empty={<p>{t("noInvoices")}</p>}
      />
    </Section>
  );
}

function TransfersPart({ memberId }: { memberId: string }) {
  const transfers = usePaged<OpsTransfer>(`/api/v1/ops/billing/account-transfers?member_id=${q(memberId)}&limit=200`);
  // Only this member's applications, also from a list that does not filter by member.
  const own = transfers.data && { ...transfers, data: { items: transfers.data.items.filter((x) => x.member_id === memberId) } };
  return (
    <Section id="customer-transfers" title={t("accountTransfers")}>
      <PagedTable
        list={own || transfers}
        class="customer-transfers"
        columns={[t("appliedAt"), t("bankAccount"), t("status")]}
        row={(transfer) => (
          <tr key={transfer.id} data-transfer-id={transfer.id}>
            <td>{dateTime(transfer.applied_at)}</td>
            <th scope="row">{bankAccountText(transfer)}</th>
            <td>{transferLabel(transfer.status)}</td>
          </tr>
        )}
        empty={<p>{t("nothingHere")}</p>}
      />
    </Section>
  );
}

function InquiriesPart({ memberId }: { memberId: string }) {
  const inquiries = usePaged<Inquiry>(`/api/v1/ops/notification/inquiries?member_id=${q(memberId)}&limit=20`);
  return (
    <Section id="customer-inquiries" title={t("inquiries")}>
      <InquiryList list={inquiries} class="customer-inquiries" base="/ops/inquiries" empty={t("noInquiries")} />
      <MoreButton more={inquiries.more} busy={inquiries.busy} />
    </Section>
  );
}

export function OpsCustomerPage({ id }: { id: string }) {
  const member = useApi<OpsMember>(`/api/v1/ops/identity/members/${id}`);
  return (
    <OpsFrame title={member.data ? customerName(member.data) : t("customer")} headingId="customer-heading">
      <p>
        <Link href="/ops/customers">{t("opsCustomers")}</Link>
      </p>
      <Section id="customer-profile" title={t("profile")}>
        <Loading error={member.error}>{member.data && <Profile member={member.data} />}</Loading>
      </Section>
      <Section id="customer-withdrawal" title={t("withdrawalState")}>
        <Loading error={member.error}>{member.data && <WithdrawalTerms request={member.data.withdrawal} />}</Loading>
      </Section>
      <OrdersPart memberId={id} />
      <ContractsPart memberId={id} />
      <InvoicesPart memberId={id} />
      <TransfersPart memberId={id} />
      <InquiriesPart memberId={id} />
      <Section id="customer-audit" title={t("auditTrail")}>
        <AuditTrail filter={{ member_id: id }} memberLinks={false} />
      </Section>
    </OpsFrame>
  );
}

// ---- the ops order view (R31) -----------------------------------------------

/** An entered order field's value in words. */
function fieldValue(value: unknown): string {
  if (value === true) return t("yes");
  if (value === false) return t("none");
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The order fields as the member entered them, labelled as the order form showed them
 * (the raw option names when the service does not label them). */
function EnteredFields({ order }: { order: OpsOrderDetail }) {
  const fields: EnteredField[] =
    order.entered_fields ?? Object.entries(order.options ?? {}).map(([name, value]) => ({ name, value }));
  if (!fields.length) return <p>{t("noEnteredFields")}</p>;
  return (
    <Terms
      class="rules entered-fields"
      rows={fields.map((field): Term => [loc(field.label) || field.name, fieldValue(field.value), `field-${field.name}`])}
    />
  );
}

export function OpsOrderPage({ id }: { id: string }) {
  const { data: order, error } = useApi<OpsOrderDetail>(`/api/v1/ops/ordering/orders/${id}`);
  return (
    <OpsFrame title={t("opsOrder")} headingId="ops-order-heading">
      <Loading error={error}>
        {order && (
          <article class="ops-order" data-order-id={order.id}>
            <p>
              <MemberNote item={order} />
            </p>
            <Terms
              rows={[
                ...orderTerms(order),
                [t("orderedAt"), dateTime(order.created_at)],
                [t("status"), statusLabel(order.status), "order-status"],
                order.reason ? [t("holdReason"), order.reason, "hold-reason"] : null,
                order.inquiry_reference ? [t("reference"), order.inquiry_reference] : null,
              ]}
            />
            <h4>{t("enteredFields")}</h4>
            <EnteredFields order={order} />
            <h4>{t("statusHistory")}</h4>
            <StatusHistory steps={order.status_history ?? []} />
          </article>
        )}
      </Loading>
    </OpsFrame>
  );
}

// ---- ending a contract for the contact center (R32) -------------------------

function EndContract({ contract, changed }: { contract: OpsContract; changed: () => void }) {
  const [reason, setReason] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const path = `/api/v1/ops/ordering/contracts/${contract.id}`;
  const end = useSubmit(
    () => post(`${path}/cancel`, { end_date: quote?.end_date, reason }),
    () => {
      setQuote(null);
      setReason("");
      changed();
    },
  );
  return (
    <section aria-labelledby="end-contract-heading" class="form">
      <h4 id="end-contract-heading">{t("endContract")}</h4>
      <Success shown={end.ok}>{t("contractEnded")}</Success>
      {contract.status === "active" && <QuoteForm id="end-date" path={`${path}/cancellation-quote`} setQuote={setQuote} />}
      {quote && contract.status === "active" && (
        <form class="quote" aria-live="polite" onSubmit={end.submit}>
          <Terms
            rows={[
              [t("endDate"), quote.end_date, "quote-end-date"],
              [t("earlyTermination"), yen(quote.early_termination_fee), "quote-fee"],
              quote.minimum_term_last_day ? [t("feeFreeFrom"), quote.minimum_term_last_day] : null,
            ]}
          />
          {quote.cancellable_on_site === false && <p role="note">{t("notOnSite")}</p>}
          <TextAreaField id="end-reason" label={t("endReason")} required rows={3} maxLength={2000} value={reason} set={setReason} />
          <ProblemView error={end.error} />
          <button type="submit" disabled={end.busy}>
            {t("confirmEnd")}
          </button>
        </form>
      )}
      {contract.status !== "active" && !end.ok && <p>{t("notCancellable")}</p>}
    </section>
  );
}

export function OpsContractPage({ id }: { id: string }) {
  const { data: contract, error, reload } = useApi<OpsContract>(`/api/v1/ops/ordering/contracts/${id}`);
  return (
    <OpsFrame title={t("contract")} headingId="ops-contract-heading">
      <Loading error={error}>
        {contract && (
          <article class="ops-contract" data-contract-id={contract.id}>
            <p>
              <MemberNote item={contract} /> · <Link href={`/ops/orders/${contract.order_id}`}>{t("orderDetail")}</Link>
            </p>
            <Terms
              class="rules contract"
              rows={[
                [t("service"), loc(contract.service_name)],
                [t("plan"), loc(contract.plan_name)],
                [t("quantity"), String(contract.quantity)],
                contract.terms?.monthly_fee !== undefined ? [t("monthlyFee"), yen(contract.terms.monthly_fee)] : null,
                [t("startedOn"), contract.start_date],
                [t("status"), statusLabel(contract.status), "contract-status"],
                contract.end_date ? [t("endDate"), contract.end_date, "contract-end-date"] : null,
                contract.early_termination_fee != null
                  ? [t("earlyTermination"), yen(contract.early_termination_fee), "contract-fee"]
                  : null,
                contract.cancelled_by ? [t("cancelledBy"), cancelledByLabel(contract.cancelled_by)] : null,
                contract.cancellation_reason ? [t("reason"), contract.cancellation_reason] : null,
              ]}
            />
            <EndContract contract={contract} changed={reload} />
          </article>
        )}
      </Loading>
    </OpsFrame>
  );
}

// ---- withdrawal desk (R33) --------------------------------------------------

function WithdrawalRow({ request, changed }: { request: Withdrawal; changed: () => void }) {
  const path = `/api/v1/ops/identity/withdrawals/${request.id}`;
  const item: MemberRef = { member_id: request.member_id, member: request.member };
  const blockers = request.current_blockers ?? request.blocking_items ?? [];
  return (
    <tr data-withdrawal-id={request.id} data-member-id={request.member_id}>
      <td>{request.requested_at && dateTime(request.requested_at)}</td>
      <th scope="row">
        <MemberNote item={item} />
      </th>
      <td class="withdrawal-status">
        {withdrawalLabel(request)}
        {request.reason && `: ${request.reason}`}
      </td>
      <td class="blockers">
        <Blockers items={blockers} />
      </td>
      <td>
        {request.status === "pending" && (
          <Decision
            id={`refuse-reason-${request.id}`}
            accept={t("confirmWithdrawal")}
            onAccept={() => post(`${path}/confirm`)}
            reasonLabel={t("refuseReason")}
            refuse={t("refuseWithdrawal")}
            onRefuse={(reason) => post(`${path}/refuse`, { reason })}
            changed={changed}
          />
        )}
      </td>
    </tr>
  );
}

export function OpsWithdrawalsPage() {
  const [status, setStatus] = useState("pending");
  const requests = usePaged<Withdrawal>(`/api/v1/ops/identity/withdrawals?status=${status}&limit=50`);
  return (
    <OpsFrame title={t("opsWithdrawals")}>
      <StatusFilter
        value={status}
        set={setStatus}
        codes={["pending", "checking", "refused", "withdrawn"]}
        label={(code) => withdrawalStageLabel(WITHDRAWAL_FILTERS[code] ?? code)}
      />
      <PagedTable
        list={requests}
        class="ops-withdrawals"
        columns={[t("requestedAt"), t("member"), t("status"), t("blockers"), t("actions")]}
        row={(request) => (
          <WithdrawalRow key={`${request.id}-${request.status}`} request={request} changed={requests.reload} />
        )}
        empty={<p>{t("nothingHere")}</p>}
      />
    </OpsFrame>
  );
}
