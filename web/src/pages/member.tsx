// My Page: profile, contracts, purchase history with each order's detail and
// state history, invoices with the PDF download, and the inquiry form.
import { useState } from "preact/hooks";
import { api, raw } from "../api";
import { dateTime, lang, loc, statusLabel, t, yen, type Localized } from "../i18n";
import { Link, navigate, queryParam } from "../router";
import { Field, Loading, ProblemView, useLoad, useSubmit } from "../ui";
import type { Me } from "./account";

type Order = {
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

type Contract = {
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

function ContractsTable({ items }: { items: Contract[] }) {
  if (!items.length) return <p>{t("noContracts")}</p>;
  return (
    <div class="scroll">
      <table class="contracts">
        <thead>
          <tr>
            <th scope="col">{t("service")}</th>
            <th scope="col">{t("plan")}</th>
            <th scope="col">{t("quantity")}</th>
            <th scope="col">{t("startedOn")}</th>
            <th scope="col">{t("status")}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-order-id={c.order_id} data-contract-id={c.id}>
              <th scope="row">
                <Link href={`/contracts/${c.id}`}>{loc(c.service_name)}</Link>
              </th>
              <td>{loc(c.plan_name)}</td>
              <td>{c.quantity}</td>
              <td>{c.start_date}</td>
              <td>
                {statusLabel(c.status)}
                {c.end_date && ` (${t("endDate")} ${c.end_date})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MyPage() {
  const me = useLoad(() => api<Me>("/api/v1/me"));
  const contracts = useLoad(() => api<{ items: Contract[] }>("/api/v1/contracts?limit=100"));
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
            <dl class="rules">
              <div>
                <dt>{t("organizationName")}</dt>
                <dd>{me.data.organization_name}</dd>
              </div>
              <div>
                <dt>{t("name")}</dt>
                <dd>{me.data.name}</dd>
              </div>
              <div>
                <dt>{t("entityType")}</dt>
                <dd>{me.data.entity_type === "corporation" ? t("corporation") : t("soleProprietor")}</dd>
              </div>
              <div>
                <dt>{t("email")}</dt>
                <dd>{me.data.contact_email}</dd>
              </div>
            </dl>
          )}
        </Loading>
      </section>
      <section aria-labelledby="contracts-heading">
        <h3 id="contracts-heading">{t("contracts")}</h3>
        <Loading error={contracts.error}>{contracts.data && <ContractsTable items={contracts.data.items} />}</Loading>
      </section>
    </>
  );
}

export function ContractsPage() {
  const contracts = useLoad(() => api<{ items: Contract[] }>("/api/v1/contracts?limit=100"));
  return (
    <section aria-labelledby="contracts-page-heading">
      <h2 id="contracts-page-heading">{t("contracts")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <Loading error={contracts.error}>{contracts.data && <ContractsTable items={contracts.data.items} />}</Loading>
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

function Cancellation({ contract, changed }: { contract: Contract; changed: () => void }) {
  const [endDate, setEndDate] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const asked = useSubmit(
    () =>
      api<Quote>(
        `/api/v1/contracts/${contract.id}/cancellation-quote${endDate ? `?end_date=${endDate}` : ""}`,
      ),
    setQuote,
  );
  const cancel = useSubmit(
    () =>
      api(`/api/v1/contracts/${contract.id}/cancel`, {
        method: "POST",
        body: { end_date: quote?.end_date },
      }),
    () => {
      setQuote(null);
      changed();
    },
  );
  return (
    <section aria-labelledby="cancel-heading" class="form">
      <h3 id="cancel-heading">{t("cancellation")}</h3>
      {cancel.ok && (
        <p role="status" class="success">
          {t("cancelled")}
        </p>
      )}
      {contract.status === "active" && (
        <form onSubmit={asked.submit}>
          <Field id="cancel-end-date" label={t("cancelEndDate")} hint={t("cancelEndDateHint")}>
            <input
              id="cancel-end-date"
              type="date"
              aria-describedby="cancel-end-date-hint"
              value={endDate}
              onInput={(e) => {
                setEndDate((e.target as HTMLInputElement).value);
                setQuote(null);
              }}
            />
          </Field>
          <ProblemView error={asked.error} />
          <button type="submit" class="secondary">
            {t("quoteFee")}
          </button>
        </form>
      )}
      {quote && (
        <div class="quote" aria-live="polite">
          <dl class="rules">
            <div>
              <dt>{t("endDate")}</dt>
              <dd class="quote-end-date">{quote.end_date}</dd>
            </div>
            <div>
              <dt>{t("earlyTermination")}</dt>
              <dd class="quote-fee">{yen(quote.early_termination_fee)}</dd>
            </div>
          </dl>
          {quote.cancellable_on_site ? (
            <>
              <ProblemView error={cancel.error} />
              <div class="actions">
                <button type="button" onClick={() => cancel.submit()} disabled={cancel.busy}>
                  {t("confirmCancel")}
                </button>
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
  const { data: contract, error, reload } = useLoad(() => api<Contract>(`/api/v1/contracts/${id}`), [id]);
  if (!contract) return <Loading error={error} />;
  const rows: [string, string][] = [
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
      <dl class="rules contract">
        {rows.map(([term, text]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
      <Cancellation contract={contract} changed={reload} />
    </article>
  );
}

export function OrdersPage() {
  const { data, error } = useLoad(() => api<{ items: Order[] }>("/api/v1/orders?limit=100"));
  return (
    <section aria-labelledby="orders-heading">
      <h2 id="orders-heading">{t("orders")}</h2>
      <Loading error={error}>
        {data &&
          (data.items.length ? (
            <div class="scroll">
            <table class="orders">
              <thead>
                <tr>
                  <th scope="col">{t("orderedAt")}</th>
                  <th scope="col">{t("service")}</th>
                  <th scope="col">{t("quantity")}</th>
                  <th scope="col">{t("plannedStart")}</th>
                  <th scope="col">{t("status")}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((order) => (
                  <tr key={order.id} data-order-id={order.id}>
                    <td>{dateTime(order.created_at)}</td>
                    <th scope="row">
                      <Link href={`/orders/${order.id}`}>{loc(order.service_name)}</Link>
                    </th>
                    <td>{order.quantity}</td>
                    <td>{order.planned_start_date}</td>
                    <td>{statusLabel(order.status)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ) : (
            <p>{t("noOrders")}</p>
          ))}
      </Loading>
    </section>
  );
}

export function OrderDetailPage({ id }: { id: string }) {
  const { data: order, error } = useLoad(() => api<Order>(`/api/v1/orders/${id}`), [id]);
  if (!order) return <Loading error={error} />;
  return (
    <article aria-labelledby="order-detail-heading">
      {queryParam("placed") && (
        <p role="status" class="success">
          {t("orderPlaced")}
        </p>
      )}
      <h2 id="order-detail-heading">{t("orderDetail")}</h2>
      <dl class="rules">
        {(
          [
            [t("service"), loc(order.service_name)],
            [t("plan"), loc(order.plan_name)],
            [t("quantity"), String(order.quantity)],
            [t("monthlyFee"), yen(order.monthly_fee)],
            [t("initialFee"), yen(order.initial_fee)],
            [t("startDate"), order.desired_start_date],
            [t("plannedStart"), order.planned_start_date],
            [t("status"), statusLabel(order.status)],
            [t("reference"), order.inquiry_reference],
          ] as [string, string][]
        ).map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd data-field={term}>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>{t("statusHistory")}</h3>
      <ol class="history">
        {order.status_history.map((step) => (
          <li key={step.at + step.status}>
            {dateTime(step.at)} — {statusLabel(step.status)}
            {step.reason && `: ${step.reason}`}
          </li>
        ))}
      </ol>
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
  const { data, error } = useLoad(() => api<{ items: Invoice[] }>("/api/v1/invoices?limit=100"));
  const [failure, setFailure] = useState<unknown>(null);
  return (
    <section aria-labelledby="invoices-heading">
      <h2 id="invoices-heading">{t("invoices")}</h2>
      <ProblemView error={failure} />
      <Loading error={error}>
        {data &&
          (data.items.length ? (
            <div class="scroll">
            <table class="invoices">
              <thead>
                <tr>
                  <th scope="col">{t("invoiceNumber")}</th>
                  <th scope="col">{t("service")}</th>
                  <th scope="col">{t("usagePeriod")}</th>
                  <th scope="col">{t("dueDate")}</th>
                  <th scope="col">{t("total")}</th>
                  <th scope="col">{t("status")}</th>
                  <th scope="col">PDF</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((invoice) => (
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
                      <button type="button" onClick={() => downloadPdf(invoice).catch(setFailure)}>
                        {t("downloadPdf")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ) : (
            <p id="invoices-empty">{t("noInvoices")}</p>
          ))}
      </Loading>
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
};

export const INQUIRY_CATEGORIES = ["general", "order", "activation", "cancellation", "billing"] as const;

export function categoryLabel(code: string): string {
  const key = {
    general: "catGeneral",
    order: "catOrder",
    activation: "catActivation",
    cancellation: "catCancellation",
    billing: "catBilling",
  }[code] as Parameters<typeof t>[0] | undefined;
  return key ? t(key) : code;
}

export function inquiryStatusLabel(code: string): string {
  return code === "answered" ? t("inqAnswered") : code === "closed" ? t("inqClosed") : t("inqOpen");
}

export function InquiriesPage() {
  const { data, error } = useLoad(() => api<{ items: Inquiry[] }>("/api/v1/inquiries?limit=100"));
  return (
    <section aria-labelledby="inquiries-heading">
      <h2 id="inquiries-heading">{t("inquiries")}</h2>
      <p class="actions">
        <Link href="/me">{t("backToMyPage")}</Link>
        <Link class="button" href="/inquiries/new">
          {t("newInquiry")}
        </Link>
      </p>
      <Loading error={error}>
        {data &&
          (data.items.length ? (
            <div class="scroll">
              <table class="inquiries">
                <thead>
                  <tr>
                    <th scope="col">{t("sentAt")}</th>
                    <th scope="col">{t("subject")}</th>
                    <th scope="col">{t("category")}</th>
                    <th scope="col">{t("status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((inquiry) => (
                    <tr key={inquiry.id} data-inquiry-id={inquiry.id}>
                      <td>{dateTime(inquiry.created_at)}</td>
                      <th scope="row">
                        <Link href={`/inquiries/${inquiry.id}`}>{inquiry.subject}</Link>
                      </th>
                      <td>{categoryLabel(inquiry.category)}</td>
                      <td class="inquiry-status">{inquiryStatusLabel(inquiry.status)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>{t("noInquiries")}</p>
          ))}
      </Loading>
    </section>
  );
}

/** One inquiry with its answers (the member's own, or ops' view of anyone's). */
export function InquiryThread({ inquiry }: { inquiry: Inquiry }) {
  return (
    <>
      <dl class="rules">
        <div>
          <dt>{t("subject")}</dt>
          <dd>{inquiry.subject}</dd>
        </div>
        <div>
          <dt>{t("category")}</dt>
          <dd>{categoryLabel(inquiry.category)}</dd>
        </div>
        <div>
          <dt>{t("sentAt")}</dt>
          <dd>{dateTime(inquiry.created_at)}</dd>
        </div>
        <div>
          <dt>{t("status")}</dt>
          <dd class="inquiry-status">{inquiryStatusLabel(inquiry.status)}</dd>
        </div>
        {inquiry.order_id && (
          <div>
            <dt>{t("inquiryOrder")}</dt>
            <dd>{inquiry.order_id}</dd>
          </div>
        )}
      </dl>
      <p class="message">{inquiry.body}</p>
      <h3>{t("answers")}</h3>
      {inquiry.answers.length ? (
        <ol class="answers">
          {inquiry.answers.map((answer) => (
            <li key={answer.id}>
              <p class="hint">{dateTime(answer.answered_at)}</p>
              <p class="message">{answer.body}</p>
            </li>
          ))}
        </ol>
      ) : (
        <p>{t("noAnswers")}</p>
      )}
    </>
  );
}

export function InquiryDetailPage({ id }: { id: string }) {
  const { data, error } = useLoad(() => api<Inquiry>(`/api/v1/inquiries/${id}`), [id]);
  return (
    <article aria-labelledby="inquiry-heading">
      <h2 id="inquiry-heading">{t("inquiry")}</h2>
      {queryParam("sent") && (
        <p role="status" class="success">
          {t("inquirySent")}
        </p>
      )}
      <p>
        <Link href="/inquiries">{t("inquiries")}</Link>
      </p>
      <Loading error={error}>{data && <InquiryThread inquiry={data} />}</Loading>
    </article>
  );
}

export function InquiryPage() {
  const orderId = queryParam("order_id");
  const [category, setCategory] = useState<string>(orderId ? "order" : "general");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const { submit, error, busy } = useSubmit(
    () =>
      api<Inquiry>("/api/v1/inquiries", {
        method: "POST",
        body: { category, subject, body, order_id: orderId ?? undefined },
      }),
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
      <Field id="category" label={t("category")} required>
        <select id="category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
          {INQUIRY_CATEGORIES.map((code) => (
            <option key={code} value={code}>
              {categoryLabel(code)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="subject" label={t("subject")} required>
        <input id="subject" required maxLength={200} value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="body" label={t("body")} required>
        <textarea id="body" required rows={6} maxLength={10000} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <ProblemView error={error} />
      <button type="submit" disabled={busy}>
        {t("send")}
      </button>
    </form>
  );
}
