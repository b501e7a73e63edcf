// The ops console (ops role only): order progression and activation, and the
// monthly billing run. The API checks the role on every call; the menu only hides.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, post } from "../api";
import { dateTime, loc, statusLabel, t, type Localized } from "../i18n";
import { Link, queryParam } from "../router";
import { choices, InputField, SelectField, useForm } from "../forms";
import { PagedTable, usePaged, type List } from "../lists";
import { ActionButton, ProblemView, useActions, useApi, useSubmit } from "../ui";
import { AccountingExport } from "./ops-export";

/** An order in the ops lists, naming its member. */
export type OpsOrder = MemberRef & {
  id: string;
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
        <Link href={`/ops/orders/${order.id}`}>
          {loc(order.service_name)} / {loc(order.plan_name)} × {order.quantity}
        </Link>
        <br />
        <MemberNote item={order} />
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

/** A background billing run and the progress it committed so far (R39). */
type BillingRunView = {
  id: string;
  month: string;
  status: "queued" | "running" | "done" | "failed";
  contracts_total: number;
  contracts_done: number;
  invoices_issued: number;
  supplementary_issued: number;
  contracts_waiting_for_account: number;
  failed_groups: { member_id: string; service_id: string; reason: string; organization_name: string; name: string }[];
  error: string | null;
};

/** How often the run screen re-reads a run that has not finished. */
const RUN_POLL_MS = 1000;

function BillingRun() {
  const [month, setMonth] = useState(previousMonth());
  const [run, setRun] = useState<BillingRunView | null>(null);
  const [pollError, setPollError] = useState<unknown>(null);
  const { submit, error } = useSubmit(() => {
    setRun(null);
    setPollError(null);
    return post<BillingRunView>("/api/v1/ops/billing/runs", { month });
  }, setRun);
  const finished = run !== null && (run.status === "done" || run.status === "failed");
  useEffect(() => {
    if (run === null || finished) return;
    const timer = setTimeout(() => {
      api<BillingRunView>(`/api/v1/ops/billing/runs/${run.id}`).then(setRun, setPollError);
    }, RUN_POLL_MS);
    return () => clearTimeout(timer);
  }, [run, finished]);
  const total = run ? Math.max(run.contracts_total, run.contracts_done) : 0;
  return (
    <form class="form" onSubmit={submit} aria-labelledby="billing-heading">
      <h3 id="billing-heading">{t("billingRun")}</h3>
      <InputField id="billing-month" label={t("usageMonth")} type="month" required value={month} set={setMonth} />
      <ProblemView error={error || pollError} />
      {run && (
        <div class="run-progress" data-status={run.status}>
          <progress
            id="billing-run-progress"
            aria-label={t("runProgress")}
            max={total || 1}
            value={finished && total === 0 ? 1 : run.contracts_done}
          />
          <p role="status" class="run-result">
            {t(`runStatus_${run.status}`)}{" "}
            {t("runContracts", { done: run.contracts_done, total })}{" "}
            {t("runDone", { n: run.invoices_issued })}
            {run.supplementary_issued > 0 && ` ${t("runSupplementary", { n: run.supplementary_issued })}`}
            {run.contracts_waiting_for_account > 0 && ` ${t("runWaiting", { n: run.contracts_waiting_for_account })}`}
            {run.error && ` ${run.error}`}
          </p>
          {run.failed_groups.length > 0 && (
            <div class="run-failures">
              <p>{t("runFailedGroups", { n: run.failed_groups.length })}</p>
              <ul>
                {run.failed_groups.map((g) => (
                  <li key={`${g.member_id}/${g.service_id}`}>
                    <Link href={`/ops/customers/${g.member_id}`}>
                      {[g.organization_name, g.name].filter(Boolean).join(" ") || g.member_id}
                    </Link>{" "}
                    {g.reason}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
      <button type="submit" disabled={run !== null && !finished}>
        {t("run")}
      </button>
    </form>
  );
}

const OPS_LINKS = [
  ["/ops/customers", "opsCustomers"],
  ["/ops", "opsOrders"],
  ["/ops/withdrawals", "opsWithdrawals"],
  ["/ops/audit", "opsAudit"],
  ["/ops/catalog", "opsCatalog"],
  ["/ops/documents", "opsDocuments"],
  ["/ops/transfers", "opsTransfers"],
  ["/ops/notices", "opsNotices"],
  ["/ops/inquiries", "opsInquiries"],
  ["/ops/billing", "billingRun"],
  ["/ops/statements", "opsStatements"],
  ["/ops/collection", "opsCollection"],
  ["/ops/dead-letters", "deadLetters"],
  ["/ops/operators", "opsOperators"],
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

/** The names of a member as an ops list item may carry them (R30). */
export type MemberNames = { id?: string; organization_name?: string | null; name?: string | null };

/** An ops list item about a member: its id, and the member's names when the service has them
 * (as ``member``, or as ``member_organization_name`` and ``member_name``). */
export type MemberRef = {
  member_id: string;
  member?: MemberNames | null;
  member_organization_name?: string | null;
  member_name?: string | null;
};

/** The organization and the person of ``item``'s member, as far as the item names them. */
export function memberNames(item: MemberRef): string {
  const organization = item.member?.organization_name ?? item.member_organization_name;
  const person = item.member?.name ?? item.member_name;
  return [organization, person].filter(Boolean).join(" / ");
}

/** Who an ops row is about: the member's organization and person (or, until the service
 * knows them, the id), linked to the customer page. */
export function MemberNote({ item }: { item: MemberRef }) {
  return (
    <small class="member-note">
      {t("member")}:{" "}
      <Link href={`/ops/customers/${item.member_id}`} data-member-id={item.member_id}>
        {memberNames(item) || item.member_id}
      </Link>
    </small>
  );
}

/** A desk row's decision: the main action, or the refusal with the reason typed above its
 * button (``id`` is the reason's field); both share one error, ``changed`` follows either. */
export function Decision(props: {
  id: string;
  accept: string;
  onAccept: () => Promise<unknown>;
  reasonLabel: string;
  refuse: string;
  onRefuse: (reason: string) => Promise<unknown>;
  changed: () => void;
}) {
  const [reason, setReason] = useState("");
  const { run, error, busy } = useActions(props.changed);
  return (
    <>
      <div class="actions">
        <ActionButton onClick={() => run(props.onAccept)} disabled={busy}>
          {props.accept}
        </ActionButton>
      </div>
      <InputField id={props.id} label={props.reasonLabel} value={reason} set={setReason} />
      <ActionButton secondary onClick={() => run(() => props.onRefuse(reason))} disabled={busy}>
        {props.refuse}
      </ActionButton>
      <ProblemView error={error} />
    </>
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
      <AccountingExport />
    </OpsConsole>
  );
}

type ServiceSummary = { id: string; name: Localized };

/** The order list's filters (R31) as its query: member (from the page's address), service, state, order date. */
function useOrderFilters() {
  const { form, bind } = useForm({ service_id: "", status: "", placed_from: "", placed_to: "" }, "orders-");
  const query = new URLSearchParams({ limit: "100" });
  const member = queryParam("member_id");
  if (member) query.set("member_id", member);
  for (const [name, value] of Object.entries(form)) if (value) query.set(name, value);
  return { bind, member, path: `/api/v1/ops/ordering/orders?${query}` };
}

export function OpsPage() {
  const { bind, member, path } = useOrderFilters();
  const orders = usePaged<OpsOrder>(path);
  const services = useApi<List<ServiceSummary>>("/api/v1/services?limit=100");
  const serviceOptions: [string, string][] = [
    ["", t("allServices")],
    ...(services.data?.items ?? []).map((service): [string, string] => [service.id, loc(service.name)]),
  ];
  return (
    <OpsFrame title={t("opsOrders")} headingId="ops-orders-heading">
      {member && (
        <p>
          <MemberNote item={{ member_id: member }} />
        </p>
      )}
      <div class="two">
        <StatusFilter {...bind("status")} codes={STATUSES} label={statusLabel} />
        <SelectField label={t("service")} options={serviceOptions} {...bind("service_id")} />
        <InputField label={t("orderFilterFrom")} type="date" {...bind("placed_from")} />
        <InputField label={t("orderFilterTo")} type="date" {...bind("placed_to")} />
      </div>
      <PagedTable
        list={orders}
        class="ops-orders"
        columns={[t("orderedAt"), t("service"), t("plannedStart"), t("status"), t("actions")]}
        row={(order) => <OrderRow key={`${order.id}-${order.status}`} order={order} changed={orders.reload} />}
      />
    </OpsFrame>
  );
}
