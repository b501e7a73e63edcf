// The ops console (ops role only): order progression and activation, and the
// monthly billing run. The API checks the role on every call; the menu only hides.
import { useState } from "preact/hooks";
import { api } from "../api";
import { dateTime, loc, statusLabel, t, type Localized } from "../i18n";
import { Link } from "../router";
import { Field, Loading, ProblemView, useLoad } from "../ui";

type OpsOrder = {
  id: string;
  member_id: string;
  status: string;
  service_name: Localized;
  plan_name: Localized;
  quantity: number;
  planned_start_date: string;
  created_at: string;
};

const STATUSES = ["", "awaiting_documents", "received", "accepted", "on_hold", "provisioning", "active", "rejected"];

/** The next step an operator can take on an order in ``status``, if a plain one. */
const NEXT: Record<string, "accept" | "start-provisioning" | "activate"> = {
  received: "accept",
  accepted: "start-provisioning",
  provisioning: "activate",
};

const ACTION_LABEL = {
  accept: "accept",
  "start-provisioning": "startProvisioning",
  activate: "activate",
} as const;

function OrderRow({ order, changed }: { order: OpsOrder; changed: () => void }) {
  const action = NEXT[order.status];
  const [startDate, setStartDate] = useState(order.planned_start_date);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setError(null);
    try {
      await api(`/api/v1/ops/ordering/orders/${order.id}/${action}`, {
        method: "POST",
        body: action === "activate" ? { start_date: startDate } : undefined,
      });
      changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <tr data-order-id={order.id}>
      <td>{dateTime(order.created_at)}</td>
      <th scope="row">
        {loc(order.service_name)} / {loc(order.plan_name)} × {order.quantity}
        <br />
        <small>
          {t("member")}: {order.member_id}
        </small>
      </th>
      <td>{order.planned_start_date}</td>
      <td class="order-status">{statusLabel(order.status)}</td>
      <td>
        {action === "activate" && (
          <Field id={`start-${order.id}`} label={t("activationDate")}>
            <input
              id={`start-${order.id}`}
              type="date"
              value={startDate}
              onInput={(e) => setStartDate((e.target as HTMLInputElement).value)}
            />
          </Field>
        )}
        {action && (
          <button type="button" onClick={run}>
            {t(ACTION_LABEL[action])}
          </button>
        )}
        <ProblemView error={error} />
        <OtherSteps order={order} changed={changed} />
      </td>
    </tr>
  );
}

/** The month before this one in Japan, as YYYY-MM (the latest month that has ended). */
function previousMonth(): string {
  const [year, month] = new Date()
    .toLocaleDateString("en-CA", { timeZone: "Asia/Tokyo" })
    .split("-")
    .map(Number);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, "0")}`;
}

/** Hold (with the reason the member reads), release, or reject an order still open. */
function OtherSteps({ order, changed }: { order: OpsOrder; changed: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const open = !["active", "rejected"].includes(order.status);
  if (!open) return null;
  const step = async (name: "hold" | "release" | "reject") => {
    setError(null);
    try {
      await api(`/api/v1/ops/ordering/orders/${order.id}/${name}`, {
        method: "POST",
        body: name === "release" ? undefined : { reason },
      });
      changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <details class="other-steps">
      <summary>{t("otherSteps")}</summary>
      {order.status === "on_hold" ? (
        <button type="button" class="secondary" onClick={() => step("release")}>
          {t("release")}
        </button>
      ) : (
        <>
          <Field id={`reason-${order.id}`} label={t("reasonForMember")}>
            <input id={`reason-${order.id}`} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </Field>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => step("hold")}>
              {t("hold")}
            </button>
            <button type="button" class="secondary" onClick={() => step("reject")}>
              {t("rejectOrder")}
            </button>
          </div>
        </>
      )}
      <ProblemView error={error} />
    </details>
  );
}

function BillingRun() {
  const [month, setMonth] = useState(previousMonth());
  const [result, setResult] = useState<{ invoices_issued: number; contracts_waiting_for_account: number } | null>(
    null,
  );
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await api("/api/v1/ops/billing/runs", { method: "POST", body: { month } }));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form class="form" onSubmit={submit} aria-labelledby="billing-heading">
      <h3 id="billing-heading">{t("billingRun")}</h3>
      <Field id="billing-month" label={t("usageMonth")} required>
        <input id="billing-month" type="month" required value={month} onInput={(e) => setMonth((e.target as HTMLInputElement).value)} />
      </Field>
      <ProblemView error={error} />
      {result && (
        <p role="status" class="run-result">
          {t("runDone", { n: result.invoices_issued })}
          {result.contracts_waiting_for_account > 0 && ` ${t("runWaiting", { n: result.contracts_waiting_for_account })}`}
        </p>
      )}
      <button type="submit">{t("run")}</button>
    </form>
  );
}

const OPS_LINKS = [
  ["/ops", "opsOrders"],
  ["/ops/catalog", "opsCatalog"],
  ["/ops/documents", "opsDocuments"],
  ["/ops/transfers", "opsTransfers"],
  ["/ops/notices", "opsNotices"],
  ["/ops/inquiries", "opsInquiries"],
  ["/ops/billing", "billingRun"],
  ["/ops/dead-letters", "deadLetters"],
] as const;

/** The console's own menu, on every ops page. */
export function OpsNav() {
  return (
    <nav aria-label={t("opsMenu")} class="subnav menu">
      {OPS_LINKS.map(([href, label]) => (
        <Link key={href} href={href} aria-current={location.pathname === href ? "page" : undefined}>
          {t(label)}
        </Link>
      ))}
    </nav>
  );
}

export function OpsBillingPage() {
  return (
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      <BillingRun />
    </>
  );
}

export function OpsPage() {
  const [status, setStatus] = useState("");
  const orders = useLoad(
    () => api<{ items: OpsOrder[] }>(`/api/v1/ops/ordering/orders?limit=100${status ? `&status=${status}` : ""}`),
    [status],
  );
  return (
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      <section aria-labelledby="ops-orders-heading">
        <h3 id="ops-orders-heading">{t("opsOrders")}</h3>
        <Field id="status-filter" label={t("filterStatus")}>
          <select id="status-filter" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s ? statusLabel(s) : t("all")}
              </option>
            ))}
          </select>
        </Field>
        <Loading error={orders.error}>
          {orders.data && (
            <div class="scroll">
              <table class="ops-orders">
                <thead>
                  <tr>
                    <th scope="col">{t("orderedAt")}</th>
                    <th scope="col">{t("service")}</th>
                    <th scope="col">{t("plannedStart")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {orders.data.items.map((order) => (
                    <OrderRow key={`${order.id}-${order.status}`} order={order} changed={orders.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loading>
      </section>
    </>
  );
}
