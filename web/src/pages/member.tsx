// My Page: profile, contracts, purchase history with each order's detail and
// state history, invoices with the PDF download, and the inquiry form.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, post, raw, type Schema } from "../api";
import { dateTime, labels, lang, loc, statusLabel, t, yen, type Localized } from "../i18n";
import { Link, navigate, queryParam } from "../router";
import { choices, InputField, SelectField, TextAreaField, useForm } from "../forms";
import { ListTable, PAGE_SIZE, Terms, usePaged, type List, type Paged, type Term } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useApi, useSubmit, type Loaded } from "../ui";
import type { Me } from "./account";

export type Order = {
  id: string;
  status: string;
  service_name: Localized;
  plan_name: Localized;
  quantity: number;
  options: Record<string, unknown>;
  desired_start_date: string;
  planned_start_date: string;
  monthly_fee: number;
  initial_fee: number;
  reason: string | null;
  inquiry_reference: string;
  created_at: string;
  status_history: { status: string; at: string; reason: string | null }[];
};

/** What an orders table shows of an order. */
export type OrderSummary = Pick<Order, "id" | "status" | "service_name" | "quantity" | "planned_start_date" | "created_at">;

/** What a contracts table shows of a contract. */
export type ContractSummary = Pick<
  Contract,
  "id" | "order_id" | "status" | "service_name" | "plan_name" | "quantity" | "start_date" | "end_date"
>;

/** What ``orderTerms`` shows of an order. */
export type OrderBasics = Pick<
  Order,
  | "service_name"
  | "plan_name"
  | "quantity"
  | "monthly_fee"
  | "initial_fee"
  | "desired_start_date"
  | "planned_start_date"
>;

export type Contract = {
  id: string;
  order_id: string;
  status: string;
  service_name: Localized;
  plan_name: Localized;
  quantity: number;
  start_date: string;
  end_date: string | null;
  early_termination_fee: number | null;
  terms: { monthly_fee: number; minimum_term_months: number; cancellable_on_site: boolean };
};

type Invoice = {
  id: string;
  invoice_number: string;
  status: string;
  service_name: Localized;
  usage_period_start: string;
  usage_period_end: string;
  issue_date: string;
  due_date: string;
  total: number;
};


const MY_PAGE_LINKS = [
  ["/orders", "orders"],
  ["/contracts", "contracts"],
  ["/invoices", "invoices"],
  ["/inquiries", "inquiries"],
  ["/me/profile", "profileEdit"],
  ["/me/password", "passwordChange"],
  ["/me/identity-documents", "identityDocuments"],
  ["/billing/account", "paymentMethod"],
  ["/me/withdrawal", "withdrawal"],
] as const;

/** The headings of a contracts table. */
export const contractColumns = () => [t("service"), t("plan"), t("quantity"), t("startedOn"), t("status")];

/** A contracts table's row, the contract linked under ``base`` (the member's pages or ops'). */
export function contractRow(base: string) {
  return (c: ContractSummary) => (
    <tr key={c.id} data-order-id={c.order_id} data-contract-id={c.id}>
      <th scope="row">
        <Link href={`${base}/${c.id}`}>{loc(c.service_name)}</Link>
      </th>
      <td>{loc(c.plan_name)}</td>
      <td>{c.quantity}</td>
      <td>{c.start_date}</td>
      <td class="contract-status">
        {statusLabel(c.status)}
        {c.end_date && ` (${t("endDate")} ${c.end_date})`}
      </td>
    </tr>
  );
}

function ContractsTable({ list }: { list: Paged<Contract> }) {
  return (
    <ListTable
      list={list}
      class="contracts"
      columns={contractColumns()}
      row={contractRow("/contracts")}
      empty={<p>{t("noContracts")}</p>}
    />
  );
}

const useContracts = () => usePaged<Contract>(`/api/v1/contracts?limit=${PAGE_SIZE}`);

export function MyPage() {
  const me = useApi<Me>("/api/v1/me");
  const contracts = useContracts();
  return (
    <>
      <h2>{t("myPageTitle")}</h2>
      <nav aria-label={t("myPageMenu")} class="subnav menu">
        {MY_PAGE_LINKS.map(([href, label]) => (
          <Link key={href} href={href}>
            {t(label)}
          </Link>
        ))}
      </nav>
      <section aria-labelledby="profile-heading">
        <h3 id="profile-heading">{t("profile")}</h3>
        <Loading error={me.error}>
          {me.data && (
            <Terms
              rows={[
                [t("organizationName"), me.data.organization_name],
                [t("name"), me.data.name],
                [t("entityType"), me.data.entity_type === "corporation" ? t("corporation") : t("soleProprietor")],
                [t("email"), me.data.contact_email],
              ]}
            />
          )}
        </Loading>
      </section>
      <section aria-labelledby="contracts-heading">
        <h3 id="contracts-heading">{t("contracts")}</h3>
        <ContractsTable list={contracts} />
      </section>
    </>
  );
}

export function ContractsPage() {
  const contracts = useContracts();
  return (
    <section aria-labelledby="contracts-page-heading">
      <h2 id="contracts-page-heading">{t("contracts")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <ContractsTable list={contracts} />
    </section>
  );
}

type Quote = {
  contract_id: string;
  end_date: string;
  early_termination_fee: number;
  cancellable_on_site: boolean;
  contact_center: { phone: string; hours_ja: string; hours_en: string } | null;
};

/** The end date of a cancellation and the ask for its fee: ``path`` (the member's or ops'
 * cancellation quote) answers it to ``setQuote``; a new date clears the quote shown. */
export function QuoteForm<Q>(props: { id: string; path: string; setQuote: (quote: Q | null) => void }) {
  const [endDate, setEndDate] = useState("");
  const asked = useSubmit(() => api<Q>(`${props.path}${endDate ? `?end_date=${endDate}` : ""}`), props.setQuote);
  return (
    <form onSubmit={asked.submit}>
      <InputField
        id={props.id}
        label={t("cancelEndDate")}
        hint={t("cancelEndDateHint")}
        type="date"
        value={endDate}
        set={(date) => {
          setEndDate(date);
          props.setQuote(null);
        }}
      />
      <ProblemView error={asked.error} />
      <button type="submit" class="secondary">
        {t("quoteFee")}
      </button>
    </form>
  );
}

function Cancellation({ contract, changed }: { contract: Contract; changed: () => void }) {
  const [quote, setQuote] = useState<Quote | null>(null);
  const cancel = useSubmit(
    () => post(`/api/v1/contracts/${contract.id}/cancel`, { end_date: quote?.end_date }),
    () => {
      setQuote(null);
      changed();
    },
  );
  return (
    <section aria-labelledby="cancel-heading" class="form">
      <h3 id="cancel-heading">{t("cancellation")}</h3>
      <Success shown={cancel.ok}>{t("cancelled")}</Success>
      {contract.status === "active" && (
        <QuoteForm id="cancel-end-date" path={`/api/v1/contracts/${contract.id}/cancellation-quote`} setQuote={setQuote} />
      )}
      {quote && (
        <div class="quote" aria-live="polite">
          <Terms
            rows={[
              [t("endDate"), quote.end_date, "quote-end-date"],
              [t("earlyTermination"), yen(quote.early_termination_fee), "quote-fee"],
            ]}
          />
          {quote.cancellable_on_site ? (
            <>
              <ProblemView error={cancel.error} />
              <div class="actions">
                <ActionButton onClick={() => cancel.submit()} disabled={cancel.busy}>
                  {t("confirmCancel")}
                </ActionButton>
              </div>
            </>
          ) : (
            <p class="contact-center" role="note">
              {t("callContactCenter")}{" "}
              {quote.contact_center && (
                <>
                  <a href={`tel:${quote.contact_center.phone}`}>{quote.contact_center.phone}</a> (
                  {lang() === "ja" ? quote.contact_center.hours_ja : quote.contact_center.hours_en})
                </>
              )}
            </p>
          )}
        </div>
      )}
      {contract.status !== "active" && !cancel.ok && <p>{t("notCancellable")}</p>}
    </section>
  );
}

export function ContractPage({ id }: { id: string }) {
  const { data: contract, error, reload } = useApi<Contract>(`/api/v1/contracts/${id}`);
  if (!contract) return <Loading error={error} />;
  const rows: Term[] = [
    [t("service"), loc(contract.service_name)],
    [t("plan"), loc(contract.plan_name)],
    [t("quantity"), String(contract.quantity)],
    [t("monthlyFee"), yen(contract.terms.monthly_fee)],
    [t("startedOn"), contract.start_date],
    [t("status"), statusLabel(contract.status)],
    [t("minimumTerm"), contract.terms.minimum_term_months ? t("months", { n: contract.terms.minimum_term_months }) : t("none")],
  ];
  if (contract.end_date) rows.push([t("endDate"), contract.end_date]);
  if (contract.early_termination_fee !== null) rows.push([t("earlyTermination"), yen(contract.early_termination_fee)]);
  return (
    <article aria-labelledby="contract-heading">
      <h2 id="contract-heading">{t("contractDetail")}</h2>
      <p>
        <Link href="/contracts">{t("contracts")}</Link> · <Link href={`/orders/${contract.order_id}`}>{t("orderDetail")}</Link>
      </p>
      <Terms class="rules contract" rows={rows} />
      <Cancellation contract={contract} changed={reload} />
    </article>
  );
}

/** The headings of an orders table. */
export const orderColumns = () => [t("orderedAt"), t("service"), t("quantity"), t("plannedStart"), t("status")];

/** An orders table's row, the order linked under ``base`` (the member's pages or ops'). */
export function orderRow(base: string) {
  return (order: OrderSummary) => (
    <tr key={order.id} data-order-id={order.id}>
      <td>{dateTime(order.created_at)}</td>
      <th scope="row">
        <Link href={`${base}/${order.id}`}>{loc(order.service_name)}</Link>
      </th>
      <td>{order.quantity}</td>
      <td>{order.planned_start_date}</td>
      <td class="order-status">{statusLabel(order.status)}</td>
    </tr>
  );
}

export function OrdersPage() {
  const orders = usePaged<Order>(`/api/v1/orders?limit=${PAGE_SIZE}`);
  return (
    <section aria-labelledby="orders-heading">
      <h2 id="orders-heading">{t("orders")}</h2>
      <ListTable
        list={orders}
        class="orders"
        columns={orderColumns()}
        row={orderRow("/orders")}
        empty={<p>{t("noOrders")}</p>}
      />
    </section>
  );
}

/** An order's plan, quantity, fees and dates: the member's view and ops' (R31). */
export function orderTerms(order: OrderBasics): Term[] {
  return [
    [t("service"), loc(order.service_name)],
    [t("plan"), loc(order.plan_name)],
    [t("quantity"), String(order.quantity)],
    [t("monthlyFee"), yen(order.monthly_fee)],
    [t("initialFee"), yen(order.initial_fee)],
    [t("startDate"), order.desired_start_date],
    [t("plannedStart"), order.planned_start_date],
  ];
}

/** An order's status history, oldest first, with the reason of a hold or rejection. */
export function StatusHistory({ steps }: { steps: Order["status_history"] }) {
  return (
    <ol class="history">
      {steps.map((step) => (
        <li key={step.at + step.status}>
          {dateTime(step.at)} — {statusLabel(step.status)}
          {step.reason && `: ${step.reason}`}
        </li>
      ))}
    </ol>
  );
}

export function OrderDetailPage({ id }: { id: string }) {
  const { data: order, error } = useApi<Order>(`/api/v1/orders/${id}`);
  if (!order) return <Loading error={error} />;
  return (
    <article aria-labelledby="order-detail-heading">
      <Success shown={Boolean(queryParam("placed"))}>{t("orderPlaced")}</Success>
      <h2 id="order-detail-heading">{t("orderDetail")}</h2>
      <Terms
        rows={[
          ...orderTerms(order),
          [t("status"), statusLabel(order.status)],
          [t("reference"), order.inquiry_reference],
        ]}
      />
      <h3>{t("statusHistory")}</h3>
      <StatusHistory steps={order.status_history} />
      <p>
        <Link href={`/inquiries/new?order_id=${order.id}`}>{t("inquiryTitle")}</Link>
      </p>
    </article>
  );
}

async function downloadPdf(invoice: Invoice): Promise<void> {
  // The PDF needs the bearer token, so it is fetched and handed over as a blob.
  const response = await raw(`/api/v1/invoices/${invoice.id}/pdf`, {
    headers: { Accept: "application/pdf" },
  });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `${invoice.invoice_number}.pdf`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function InvoicesPage() {
  const invoices = usePaged<Invoice>(`/api/v1/invoices?limit=${PAGE_SIZE}`);
  const [failure, setFailure] = useState<unknown>(null);
  return (
    <section aria-labelledby="invoices-heading">
      <h2 id="invoices-heading">{t("invoices")}</h2>
      <ProblemView error={failure} />
      <ListTable
        list={invoices}
        class="invoices"
        columns={[t("invoiceNumber"), t("service"), t("usagePeriod"), t("dueDate"), t("total"), t("status"), "PDF"]}
        row={(invoice) => (
          <tr key={invoice.id}>
            <th scope="row">{invoice.invoice_number}</th>
            <td>{loc(invoice.service_name)}</td>
            <td>
              {invoice.usage_period_start} – {invoice.usage_period_end}
            </td>
            <td>{invoice.due_date}</td>
            <td>{yen(invoice.total)}</td>
            <td>{statusLabel(invoice.status)}</td>
            <td>
              <ActionButton onClick={() => downloadPdf(invoice).catch(setFailure)}>{t("downloadPdf")}</ActionButton>
            </td>
          </tr>
        )}
        empty={<p id="invoices-empty">{t("noInvoices")}</p>}
      />
    </section>
  );
}

export type Inquiry = {
  id: string;
  category: string;
  subject: string;
  body: string;
  order_id: string | null;
  status: string;
  created_at: string;
  closed_at: string | null;
  answers: { id: string; body: string; answered_at: string }[];
  /** The whole thread after the question, oldest first: ops' answers and the member's
   * replies (R26); ops see ``by`` too. Absent from an API without replies. */
  messages?: (Schema<"MessageOut"> & { by?: string })[];
};

export const INQUIRY_CATEGORIES = ["general", "order", "activation", "cancellation", "billing"] as const;

export const categoryLabel = labels({
  general: "catGeneral",
  order: "catOrder",
  activation: "catActivation",
  cancellation: "catCancellation",
  billing: "catBilling",
});

export const inquiryStatusLabel = labels({ answered: "inqAnswered", closed: "inqClosed" }, "inqOpen");

/** Inquiries listed, each linked to its page under ``base`` (the member's own, or ops' view of
 * anyone's, with ``note`` under each subject: who sent it). */
export function InquiryList(props: {
  list: Loaded<List<Inquiry>> | Paged<Inquiry>;
  class: string;
  base: string;
  empty: string;
  note?: (inquiry: Inquiry) => ComponentChildren;
}) {
  return (
    <ListTable
      list={props.list}
      class={props.class}
      columns={[t("sentAt"), t("subject"), t("category"), t("status")]}
      row={(inquiry) => (
        <tr key={inquiry.id} data-inquiry-id={inquiry.id}>
          <td>{dateTime(inquiry.created_at)}</td>
          <th scope="row">
            <Link href={`${props.base}/${inquiry.id}`}>{inquiry.subject}</Link>
            {props.note && (
              <>
                <br />
                {props.note(inquiry)}
              </>
            )}
          </th>
          <td>{categoryLabel(inquiry.category)}</td>
          <td class="inquiry-status">{inquiryStatusLabel(inquiry.status)}</td>
        </tr>
      )}
      empty={<p>{props.empty}</p>}
    />
  );
}

export function InquiriesPage() {
  const inquiries = usePaged<Inquiry>(`/api/v1/inquiries?limit=${PAGE_SIZE}`);
  return (
    <section aria-labelledby="inquiries-heading">
      <h2 id="inquiries-heading">{t("inquiries")}</h2>
      <p class="actions">
        <Link href="/me">{t("backToMyPage")}</Link>
        <Link class="button" href="/inquiries/new">
          {t("newInquiry")}
        </Link>
      </p>
      <InquiryList list={inquiries} class="inquiries" base="/inquiries" empty={t("noInquiries")} />
    </section>
  );
}

/** The thread after the question: every answer and reply, oldest first. */
function threadOf(inquiry: Inquiry): NonNullable<Inquiry["messages"]> {
  return (
    inquiry.messages ??
    inquiry.answers.map((answer) => ({ id: answer.id, author: "ops" as const, body: answer.body, at: answer.answered_at }))
  );
}

/** One inquiry with its thread (the member's own, or ops' view of anyone's). */
export function InquiryThread({ inquiry }: { inquiry: Inquiry }) {
  const thread = threadOf(inquiry);
  return (
    <>
      <Terms
        rows={[
          [t("subject"), inquiry.subject],
          [t("category"), categoryLabel(inquiry.category)],
          [t("sentAt"), dateTime(inquiry.created_at)],
          [t("status"), inquiryStatusLabel(inquiry.status), "inquiry-status"],
          inquiry.order_id ? [t("inquiryOrder"), inquiry.order_id] : null,
        ]}
      />
      <p class="message">{inquiry.body}</p>
      <h3>{t("thread")}</h3>
      {thread.length ? (
        <ol class="answers thread">
          {thread.map((message) => (
            <li key={message.id} class={`message-${message.author}`} data-author={message.author}>
              <p class="hint">
                <span class="message-by">{message.author === "ops" ? t("fromSupport") : t("fromMember")}</span>
                {message.by && ` (${message.by})`} ·{" "}
                {dateTime(message.at)}
              </p>
              <p class="message">{message.body}</p>
            </li>
          ))}
        </ol>
      ) : (
        <p>{t("noAnswers")}</p>
      )}
    </>
  );
}

/** The member's reply in the thread of their inquiry (R26): it goes back to ops. */
function ReplyForm({ inquiry, replied }: { inquiry: Inquiry; replied: () => void }) {
  const [body, setBody] = useState("");
  const send = useSubmit(
    () => post<Inquiry>(`/api/v1/inquiries/${inquiry.id}/replies`, { body }),
    () => {
      setBody("");
      replied();
    },
  );
  if (inquiry.status === "closed") return <p class="hint">{t("inquiryClosedNoReply")}</p>;
  return (
    <form class="form" onSubmit={send.submit} aria-labelledby="reply-heading">
      <h3 id="reply-heading">{t("replyTitle")}</h3>
      <TextAreaField id="reply-body" label={t("replyBody")} required rows={5} maxLength={10000} value={body} set={setBody} />
      <ProblemView error={send.error} />
      <Success shown={send.ok}>{t("replySent")}</Success>
      <button type="submit" disabled={send.busy}>
        {t("sendReply")}
      </button>
    </form>
  );
}

export function InquiryDetailPage({ id }: { id: string }) {
  const { data, error, reload } = useApi<Inquiry>(`/api/v1/inquiries/${id}`);
  return (
    <article aria-labelledby="inquiry-heading">
      <h2 id="inquiry-heading">{t("inquiry")}</h2>
      <Success shown={Boolean(queryParam("sent"))}>{t("inquirySent")}</Success>
      <p>
        <Link href="/inquiries">{t("inquiries")}</Link>
      </p>
      <Loading error={error}>
        {data && (
          <>
            <InquiryThread inquiry={data} />
            <ReplyForm inquiry={data} replied={reload} />
          </>
        )}
      </Loading>
    </article>
  );
}

export function InquiryPage() {
  const orderId = queryParam("order_id");
  const { form, bind } = useForm({ category: orderId ? "order" : "general", subject: "", body: "" });
  const { submit, error, busy } = useSubmit(
    () => post<Inquiry>("/api/v1/inquiries", { ...form, order_id: orderId ?? undefined }),
    (inquiry) => navigate(`/inquiries/${inquiry.id}?sent=1`),
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="inquiry-form-heading">
      <h2 id="inquiry-form-heading">{t("newInquiry")}</h2>
      {orderId && (
        <p class="inquiry-order">
          {t("inquiryOrder")}: <Link href={`/orders/${orderId}`}>{orderId}</Link>
        </p>
      )}
      <SelectField label={t("category")} required options={choices(INQUIRY_CATEGORIES, categoryLabel)} {...bind("category")} />
      <InputField label={t("subject")} required maxLength={200} {...bind("subject")} />
      <TextAreaField label={t("body")} required rows={6} maxLength={10000} {...bind("body")} />
      <ProblemView error={error} />
      <button type="submit" disabled={busy}>
        {t("send")}
      </button>
    </form>
  );
}
