// The audit trail (R34): every service keeps its own append-only audit log; the
// console merges them into one time-ordered trail for a member or an operator, and
// each service's part downloads as CSV.
import { useEffect, useState } from "preact/hooks";
import { api, currentSession, raw } from "../api";
import { dateTime, functionLabel, t } from "../i18n";
import { Link } from "../router";
import { InputField, useForm } from "../forms";
import { MoreButton, Table, withCursor, type Page } from "../lists";
import { ActionButton, Loading, ProblemView, useActions } from "../ui";
import { OpsFrame } from "./ops";

/** The five services, each with its own audit log. */
export const AUDITED = ["identity", "catalog", "ordering", "billing", "notification"] as const;
type Service = (typeof AUDITED)[number];

/** One audited action as a service's audit log answers it. */
export type AuditItem = {
  id?: string;
  at: string;
  actor?: string | null;
  action: string;
  entity?: string | null;
  target?: string | null;
  member_id?: string | null;
  details?: Record<string, unknown> | null;
};

/** What the trail is filtered by (empty values are left out). */
export type AuditFilter = Partial<Record<"member_id" | "actor_id" | "entity" | "since" | "until", string>>;

/** One service's part of the trail: the rows loaded so far, the next page's cursor, or its refusal. */
type Source = { service: Service; items: AuditItem[]; cursor: string | null; error: unknown };

type Row = AuditItem & { service: Service };

/** ``/api/v1/ops/<service>/audit-log`` with ``filter`` as its query. */
function auditPath(service: Service, filter: AuditFilter): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  query.set("limit", "50");
  return `/api/v1/ops/${service}/audit-log?${query}`;
}

async function loadPage(service: Service, path: string): Promise<Source> {
  try {
    const page = await api<Page<AuditItem>>(path);
    return { service, items: page.items, cursor: page.next_cursor ?? null, error: null };
  } catch (error) {
    return { service, items: [], cursor: null, error };
  }
}

/** The rows of every source, newest first, down to the oldest row every source has
 * answered: a source with more pages may still hold rows newer than another's oldest. */
export function mergedRows(sources: Source[]): Row[] {
  const rows = sources.flatMap((source) => source.items.map((item) => ({ ...item, service: source.service })));
  rows.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const horizons = sources
    .filter((source) => source.cursor && source.items.length)
    .map((source) => Date.parse(source.items[source.items.length - 1].at));
  if (!horizons.length) return rows;
  const horizon = Math.max(...horizons);
  return rows.filter((row) => Date.parse(row.at) >= horizon);
}

/** The merged trail of ``filter``: each service's first page at once, the next pages on ``more``. */
function useMergedAudit(filter: AuditFilter) {
  const key = JSON.stringify(filter);
  const [sources, setSources] = useState<Source[] | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setSources(null);
    Promise.all(AUDITED.map((service) => loadPage(service, auditPath(service, filter)))).then(
      (loaded) => live && setSources(loaded),
    );
    return () => {
      live = false;
    };
  }, [key]);
  const pending = (sources ?? []).filter((source) => source.cursor);
  const more =
    sources && pending.length
      ? () => {
          setBusy(true);
          Promise.all(
            sources.map(async (source) => {
              if (!source.cursor) return source;
              const next = await loadPage(source.service, withCursor(auditPath(source.service, filter), source.cursor));
              return next.error
                ? { ...source, cursor: null, error: next.error }
                : { ...source, items: [...source.items, ...next.items], cursor: next.cursor };
            }),
          )
            .then(setSources)
            .finally(() => setBusy(false));
        }
      : null;
  return { sources, more, busy };
}

/** A record's details in one line: ``name: value`` pairs. */
function detailsText(details: AuditItem["details"]): string {
  if (!details) return "";
  return Object.entries(details)
    .map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

async function downloadCsv(service: Service, filter: AuditFilter): Promise<void> {
  // The CSV needs the bearer token: fetched, then handed over as a blob.
  const response = await raw(auditPath(service, filter), { headers: { Accept: "text/csv" } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `audit-${service}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The CSV download of each service's part of the trail. */
function CsvLinks({ filter }: { filter: AuditFilter }) {
  const download = useActions();
  return (
    <div class="csv-links">
      <div class="actions">
        {AUDITED.map((service) => (
          <ActionButton key={service} secondary onClick={() => download.run(() => downloadCsv(service, filter))}>
            {t("downloadCsv", { service: functionLabel(service) })}
          </ActionButton>
        ))}
      </div>
      <ProblemView error={download.error} />
    </div>
  );
}

/** The merged, time-ordered trail of ``filter`` across the five services; a service that
 * does not answer is named in a note above the rows the others gave. ``memberLinks``: link
 * each row's member to the customer page (off on that page itself). */
export function AuditTrail({ filter, memberLinks = true }: { filter: AuditFilter; memberLinks?: boolean }) {
  const { sources, more, busy } = useMergedAudit(filter);
  if (!sources) return <Loading />;
  const failed = sources.filter((source) => source.error);
  const rows = mergedRows(sources);
  return (
    <div class="audit-trail">
      {failed.map((source) => (
        <div key={source.service} class="audit-failure" role="note" data-service={source.service}>
          <p>{t("auditFailed", { service: functionLabel(source.service) })}</p>
          <ProblemView error={source.error} />
        </div>
      ))}
      <Table
        class="audit"
        columns={[t("auditAt"), t("auditService"), t("auditActor"), t("auditAction"), t("auditTarget"), t("auditDetails")]}
        items={rows}
        row={(row) => (
          <tr
            key={`${row.service}-${row.id ?? row.at + row.action}`}
            data-service={row.service}
            data-action={row.action}
            data-at={new Date(row.at).toISOString()}
          >
            <td>{dateTime(row.at)}</td>
            <td>{functionLabel(row.service)}</td>
            <td>{row.actor ?? "—"}</td>
            <th scope="row">{row.action}</th>
            <td>
              {[row.entity, row.target].filter(Boolean).join(" ")}
              {memberLinks && row.member_id && (
                <>
                  <br />
                  <Link href={`/ops/customers/${row.member_id}`}>{t("member")}</Link>
                </>
              )}
            </td>
            <td class="audit-details">{detailsText(row.details)}</td>
          </tr>
        )}
        empty={<p class="no-audit">{t("noAudit")}</p>}
      />
      <MoreButton more={more} busy={busy} />
      <CsvLinks filter={filter} />
    </div>
  );
}

/** A date input's value as the start of that day in Japan. */
function dayStart(day: string): string | undefined {
  return day ? `${day}T00:00:00+09:00` : undefined;
}

/** A date input's value as the start of the next day in Japan (the period includes ``day``). */
function dayEnd(day: string): string | undefined {
  if (!day) return undefined;
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return `${next.toISOString().slice(0, 10)}T00:00:00+09:00`;
}

/** The operator audit trail: the merged trail filtered by actor (the signed-in operator by
 * default), member, entity and period. */
export function OpsAuditPage() {
  const mine = currentSession()?.subject ?? "";
  const { form, bind, set } = useForm({ actor_id: mine, member_id: "", entity: "", since: "", until: "" }, "audit-");
  const [filter, setFilter] = useState<AuditFilter>({ actor_id: mine || undefined });
  const show = (event: Event) => {
    event.preventDefault();
    setFilter({
      actor_id: form.actor_id.trim() || undefined,
      member_id: form.member_id.trim() || undefined,
      entity: form.entity.trim() || undefined,
      since: dayStart(form.since),
      until: dayEnd(form.until),
    });
  };
  return (
    <OpsFrame title={t("auditTrail")} headingId="audit-heading">
      <form class="form wide" onSubmit={show} aria-label={t("auditTrail")}>
        <div class="two">
          <InputField label={t("auditActorId")} {...bind("actor_id")}>
            {mine && (
              <button type="button" class="link" onClick={() => set("actor_id", mine)}>
                {t("auditMine")}
              </button>
            )}
          </InputField>
          <InputField label={t("memberId")} {...bind("member_id")} />
          <InputField label={t("auditEntity")} {...bind("entity")} />
          <InputField label={t("auditSince")} type="date" {...bind("since")} />
          <InputField label={t("auditUntil")} type="date" {...bind("until")} />
        </div>
        <button type="submit">{t("show")}</button>
      </form>
      <AuditTrail filter={filter} />
    </OpsFrame>
  );
}
