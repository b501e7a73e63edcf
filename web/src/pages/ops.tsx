// The ops console (ops role only): order progression and activation, and the
// monthly billing run. The API checks the role on every call; the menu only hides.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { post } from "../api";
import { dateTime, loc, statusLabel, t, type Localized } from "../i18n";
import { Link } from "../router";
import { choices, InputField, SelectField } from "../forms";
import { ListTable, type List } from "../lists";
import { ActionButton, ProblemView, useActions, useApi, useSubmit } from "../ui";

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
  const { run, error } = useActions(changed);
  const path = `/api/v1/ops/ordering/orders/${order.id}`;
  return (
    <tr data-order-id={order.id}>
      <td>{dateTime(order.created_at)}</td>
      <th scope="row">
        {loc(order.service_name)} / {loc(order.plan_name)} × {order.quantity}
        <br />
        <MemberNote id={order.member_id} />
      </th>
      <td>{order.planned_start_date}</td>
      <td class="order-status">{statusLabel(order.status)}</td>
      <td>
        {action === "activate" && (
          <InputField id={`start-${order.id}`} label={t("activationDate")} type="date" value={startDate} set={setStartDate} />
        )}
        {action && (
          <ActionButton
            onClick={() => run(() => post(`${path}/${action}`, action === "activate" ? { start_date: startDate } : undefined))}
          >
            {t(ACTION_LABEL[action])}
          </ActionButton>
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
  const { run, error } = useActions(changed);
  const open = !["active", "rejected"].includes(order.status);
  if (!open) return null;
  const step = (name: "hold" | "release" | "reject") =>
    run(() => post(`/api/v1/ops/ordering/orders/${order.id}/${name}`, name === "release" ? undefined : { reason }));
  return (
    <details class="other-steps">
      <summary>{t("otherSteps")}</summary>
      {order.status === "on_hold" ? (
        <ActionButton secondary onClick={() => step("release")}>
          {t("release")}
        </ActionButton>
      ) : (
        <>
          <InputField id={`reason-${order.id}`} label={t("reasonForMember")} value={reason} set={setReason} />
          <div class="actions">
            <ActionButton secondary onClick={() => step("hold")}>
              {t("hold")}
            </ActionButton>
            <ActionButton secondary onClick={() => step("reject")}>
              {t("rejectOrder")}
            </ActionButton>
          </div>
        </>
      )}
      <ProblemView error={error} />
    </details>
  );
}

type RunResult = { invoices_issued: number; contracts_waiting_for_account: number };

function BillingRun() {
  const [month, setMonth] = useState(previousMonth());
  const [result, setResult] = useState<RunResult | null>(null);
  const { submit, error } = useSubmit(() => {
    setResult(null);
    return post<RunResult>("/api/v1/ops/billing/runs", { month });
  }, setResult);
  return (
    <form class="form" onSubmit={submit} aria-labelledby="billing-heading">
      <h3 id="billing-heading">{t("billingRun")}</h3>
      <InputField id="billing-month" label={t("usageMonth")} type="month" required value={month} set={setMonth} />
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

/** The console's title and menu above one of its pages. */
export function OpsConsole({ children }: { children: ComponentChildren }) {
  return (
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      {children}
    </>
  );
}

/** A console page that is one titled section (its heading ``headingId``). */
export function OpsFrame(props: { title: string; headingId?: string; children: ComponentChildren }) {
  const headingId = props.headingId ?? "desk-heading";
  return (
    <OpsConsole>
      <section aria-labelledby={headingId}>
        <h3 id={headingId}>{props.title}</h3>
        {props.children}
      </section>
    </OpsConsole>
  );
}

/** Who an ops row is about: the member's id, under the row's title. */
export function MemberNote({ id }: { id: string }) {
  return (
    <small>
      {t("member")}: {id}
    </small>
  );
}

/** A desk's filter by state: each of ``codes`` in words (``""`` is all). */
export function StatusFilter(props: {
  id?: string;
  value: string;
  set: (v: string) => void;
  codes: readonly string[];
  label: (code: string) => string;
}) {
  const { id = "desk-status", codes, label, ...select } = props;
  const options = choices(codes, (code) => (code ? label(code) : t("all")));
  return <SelectField id={id} label={t("filterStatus")} options={options} {...select} />;
}

export function OpsBillingPage() {
  return (
    <OpsConsole>
      <BillingRun />
    </OpsConsole>
  );
}

export function OpsPage() {
  const [status, setStatus] = useState("");
  const orders = useApi<List<OpsOrder>>(`/api/v1/ops/ordering/orders?limit=100${status ? `&status=${status}` : ""}`);
  return (
    <OpsFrame title={t("opsOrders")} headingId="ops-orders-heading">
      <StatusFilter
        id="status-filter"
        value={status}
        set={setStatus}
        codes={STATUSES}
        label={statusLabel}
      />
      <ListTable
        list={orders}
        class="ops-orders"
        columns={[t("orderedAt"), t("service"), t("plannedStart"), t("status"), t("actions")]}
        row={(order) => <OrderRow key={`${order.id}-${order.status}`} order={order} changed={orders.reload} />}
      />
    </OpsFrame>
  );
}
