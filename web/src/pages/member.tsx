// My Page: profile, contracts, purchase history with each order's detail and
// state history, invoices with the PDF download, and the inquiry form.
import { useState } from "preact/hooks";
import { api, raw } from "../api";
import { dateTime, loc, statusLabel, t, yen, type Localized } from "../i18n";
import { Link, queryParam } from "../router";
import { Field, Loading, ProblemView, useLoad } from "../ui";

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

type Me = {
  login_id: string;
  contact_email: string;
  name: string;
  organization_name: string;
  entity_type: string;
  status: string;
};

export function MyPage() {
  const me = useLoad(() => api<Me>("/api/v1/me"));
  const contracts = useLoad(() => api<{ items: Contract[] }>("/api/v1/contracts"));
  return (
    <>
      <h2>{t("myPageTitle")}</h2>
      <nav aria-label={t("myPageTitle")} class="subnav">
        <Link href="/orders">{t("orders")}</Link>
        <Link href="/invoices">{t("invoices")}</Link>
        <Link href="/inquiries/new">{t("inquiryTitle")}</Link>
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
        <Loading error={contracts.error}>
          {contracts.data &&
            (contracts.data.items.length ? (
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
                  {contracts.data.items.map((c) => (
                    <tr key={c.id} data-order-id={c.order_id}>
                      <th scope="row">
                        <Link href={`/orders/${c.order_id}`}>{loc(c.service_name)}</Link>
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
            ) : (
              <p>{t("noContracts")}</p>
            ))}
        </Loading>
      </section>
    </>
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
          ) : (
            <p>{t("noInvoices")}</p>
          ))}
      </Loading>
    </section>
  );
}

export function InquiryPage() {
  const orderId = queryParam("order_id");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await api("/api/v1/inquiries", {
        method: "POST",
        body: { category: orderId ? "order" : "general", subject, body, order_id: orderId ?? undefined },
      });
      setSent(true);
    } catch (failure) {
      setError(failure);
    }
  };
  if (sent) return <p role="status">{t("inquirySent")}</p>;
  return (
    <form class="form" onSubmit={submit}>
      <h2>{t("inquiryTitle")}</h2>
      {orderId && (
        <p>
          {t("inquiryOrder")}: <Link href={`/orders/${orderId}`}>{orderId}</Link>
        </p>
      )}
      <Field id="subject" label={t("subject")} required>
        <input id="subject" required maxLength={200} value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="body" label={t("body")} required>
        <textarea id="body" required rows={6} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <ProblemView error={error} />
      <button type="submit">{t("send")}</button>
    </form>
  );
}
