// Account-transfer collection (口座振替, R35): ops build the debit batch of a collection
// date, download its Zengin request file for the bank, upload the bank's result file,
// and see the failed debits (the invoices back on invoice payment). The API audits the
// download and every result applied.
import { useEffect, useState } from "preact/hooks";
import { api, raw } from "../api";
import { dateTime, loc, t, yen, type Localized } from "../i18n";
import { Link } from "../router";
import { Field, InputField, SelectField } from "../forms";
import { PAGE_SIZE, PagedTable, Table, usePaged } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useActions, useLoad, useSubmit } from "../ui";
import { OpsFrame } from "./ops";

const BASE = "/api/v1/ops/billing/account-transfer-debits";

type DebitStatus = "pending" | "collected" | "failed";

type Debit = {
  id: string;
  position: number;
  invoice_id: string;
  invoice_number: string;
  member_id: string;
  amount: number;
  bank_code: string;
  branch_code: string;
  masked_number: string;
  status: DebitStatus;
  result_code: string | null;
  reason: Localized | null;
  result_at: string | null;
  new_due_date: string | null;
};

type Batch = {
  id: string;
  collection_date: string;
  status: "built" | "completed";
  debit_count: number;
  total: number;
  built_at: string;
  built_by: string;
  pending_count?: number;
  collected_count?: number;
  collected_amount?: number;
  failed_count?: number;
  failed_amount?: number;
  debits?: Debit[];
};

type Results = { collected: number; failed: number; unchanged: number; batch: Batch };

const STATUS_KEY = { pending: "collPending", collected: "collCollected", failed: "collFailed" } as const;

/** The 27th of this month (the API answers the business day when it is not one). */
function nextTwentySeventh(): string {
  const today = new Date();
  const month = today.getDate() > 27 ? today.getMonth() + 1 : today.getMonth();
  const day = new Date(today.getFullYear(), month, 27);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-27`;
}

function BuildForm({ built }: { built: (batch: Batch, created: boolean) => void }) {
  const [day, setDay] = useState(nextTwentySeventh());
  const [answer, setAnswer] = useState<{ batch: Batch; created: boolean } | null>(null);
  const { submit, error, busy } = useSubmit(
    async () => {
      setAnswer(null);
      const response = await raw(BASE, { method: "POST", body: { collection_date: day } });
      return { batch: (await response.json()) as Batch, created: response.status === 201 };
    },
    (answered) => {
      setAnswer(answered);
      built(answered.batch, answered.created);
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="collection-build-heading">
      <h4 id="collection-build-heading">{t("collBuild")}</h4>
      <InputField
        id="collection-date"
        type="date"
        label={t("collDate")}
        hint={t("collDateHint")}
        required
        value={day}
        set={setDay}
      />
      <ProblemView error={error} />
      <Success shown={answer !== null}>
        {answer &&
          t(answer.created ? "collBuiltNow" : "collBuiltBefore", {
            n: answer.batch.debit_count,
            total: yen(answer.batch.total),
          })}{" "}
        {answer && <Link href={`/ops/collection/${answer.batch.id}`}>{t("collOpen")}</Link>}
      </Success>
      <button type="submit" disabled={busy || !day}>
        {t("collBuildButton")}
      </button>
    </form>
  );
}

async function download(batch: Batch): Promise<void> {
  // The file needs the bearer token: fetched, then saved from a blob URL.
  const response = await raw(`${BASE}/${batch.id}/file`, { headers: { Accept: "text/plain" } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `zengin-91-${batch.collection_date.replaceAll("-", "")}.txt`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function ResultUpload({ batch, applied }: { batch: Batch; applied: (results: Results) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [answer, setAnswer] = useState<Results | null>(null);
  const { submit, error, busy } = useSubmit(
    () => {
      setAnswer(null);
      return api<Results>(`${BASE}/${batch.id}/results`, {
        method: "POST",
        body: file ?? new Blob([]),
        headers: { "Content-Type": "application/octet-stream" },
      });
    },
    (results) => {
      setAnswer(results);
      applied(results);
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="collection-results-heading">
      <h4 id="collection-results-heading">{t("collUpload")}</h4>
      <Field id="result-file" label={t("collResultFile")} hint={t("collResultFileHint")} required>
        <input
          id="result-file"
          type="file"
          required
          aria-describedby="result-file-hint"
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </Field>
      <ProblemView error={error} />
      <Success shown={answer !== null}>
        {answer && t("collApplied", { collected: answer.collected, failed: answer.failed, unchanged: answer.unchanged })}
      </Success>
      <button type="submit" disabled={busy || !file}>
        {t("collApply")}
      </button>
    </form>
  );
}

function DebitTable({ debits, id }: { debits: Debit[]; id: string }) {
  return (
    <Table
      class={`debits ${id}`}
      columns={[
        t("collInvoice"),
        t("collAmount"),
        t("collAccount"),
        t("collStatus"),
        t("collReason"),
        t("collNewDue"),
      ]}
      items={debits}
      row={(debit) => (
        <tr key={debit.id} data-invoice={debit.invoice_number} data-status={debit.status}>
          <th scope="row">{debit.invoice_number}</th>
          <td class="amount">{yen(debit.amount)}</td>
          <td>
            {debit.bank_code}-{debit.branch_code} {debit.masked_number}
          </td>
          <td>
            <span class={`debit-status debit-${debit.status}`}>{t(STATUS_KEY[debit.status])}</span>
            {debit.result_code !== null && <small> ({debit.result_code})</small>}
          </td>
          <td>{debit.reason && debit.status === "failed" ? loc(debit.reason) : ""}</td>
          <td>{debit.new_due_date ?? ""}</td>
        </tr>
      )}
      empty={<p>{t("collNoDebits")}</p>}
    />
  );
}

/** One batch: its counts, the file, the result upload and the debits (all or failed). */
function BatchDetail({ batch, changed }: { batch: Batch; changed: (batch: Batch) => void }) {
  const [filter, setFilter] = useState<"" | DebitStatus>("");
  const file = useActions();
  const debits = (batch.debits ?? []).filter((d) => !filter || d.status === filter);
  return (
    <section aria-labelledby="batch-heading" data-batch-id={batch.id}>
      <h4 id="batch-heading">{t("collBatchOf", { date: batch.collection_date })}</h4>
      <p class="batch-summary">
        {t("collSummary", {
          n: batch.debit_count,
          total: yen(batch.total),
          collected: batch.collected_count ?? 0,
          failed: batch.failed_count ?? 0,
          pending: batch.pending_count ?? 0,
        })}
      </p>
      <p>
        <ActionButton onClick={() => file.run(() => download(batch))} disabled={file.busy}>
          {t("collDownload")}
        </ActionButton>
      </p>
      <ProblemView error={file.error} />
      <ResultUpload batch={batch} applied={(results) => changed(results.batch)} />
      <SelectField
        id="debit-filter"
        label={t("collFilter")}
        options={[
          ["", t("collAll")],
          ["pending", t("collPending")],
          ["collected", t("collCollected")],
          ["failed", t("collFailed")],
        ]}
        value={filter}
        set={(value) => setFilter(value as "" | DebitStatus)}
      />
      <DebitTable debits={debits} id="batch-debits" />
    </section>
  );
}

function BatchHistory({ round }: { round: number }) {
  const list = usePaged<Batch>(`${BASE}?limit=${PAGE_SIZE}`);
  useEffect(() => {
    if (round) list.reload();
  }, [round]);
  return (
    <section aria-labelledby="batch-history-heading">
      <h4 id="batch-history-heading">{t("collBatches")}</h4>
      <PagedTable
        list={list}
        class="batches"
        columns={[t("collDate"), t("collCount"), t("collAmount"), t("collStatus"), t("collBuiltAt")]}
        row={(batch) => (
          <tr key={batch.id} data-batch-id={batch.id}>
            <th scope="row">
              <Link href={`/ops/collection/${batch.id}`}>{batch.collection_date}</Link>
            </th>
            <td>{batch.debit_count}</td>
            <td class="amount">{yen(batch.total)}</td>
            <td>{t(batch.status === "completed" ? "collCompleted" : "collAwaiting")}</td>
            <td>{dateTime(batch.built_at)}</td>
          </tr>
        )}
        empty={<p>{t("collNone")}</p>}
      />
    </section>
  );
}

function FailedDebits({ round }: { round: number }) {
  const list = usePaged<Debit>(`/api/v1/ops/billing/failed-debits?limit=${PAGE_SIZE}`);
  useEffect(() => {
    if (round) list.reload();
  }, [round]);
  return (
    <section aria-labelledby="failed-debits-heading">
      <h4 id="failed-debits-heading">{t("collFailedDebits")}</h4>
      <PagedTable
        list={list}
        class="failed-debits"
        columns={[t("collInvoice"), t("collAmount"), t("collReason"), t("collNewDue")]}
        row={(debit) => (
          <tr key={debit.id} data-invoice={debit.invoice_number}>
            <th scope="row">{debit.invoice_number}</th>
            <td class="amount">{yen(debit.amount)}</td>
            <td>
              {debit.reason ? loc(debit.reason) : ""} <small>({debit.result_code})</small>
            </td>
            <td>{debit.new_due_date ?? ""}</td>
          </tr>
        )}
        empty={<p>{t("collNoFailed")}</p>}
      />
    </section>
  );
}

export function OpsCollectionPage() {
  const [round, setRound] = useState(0);
  return (
    <OpsFrame title={t("opsCollection")} headingId="collection-heading">
      <BuildForm built={() => setRound((n) => n + 1)} />
      <BatchHistory round={round} />
      <FailedDebits round={round} />
    </OpsFrame>
  );
}

export function OpsCollectionBatchPage({ id }: { id: string }) {
  const [batch, setBatch] = useState<Batch | null>(null);
  const loaded = useLoad(() => api<Batch>(`${BASE}/${id}`).then(setBatch), [id]);
  return (
    <OpsFrame title={t("opsCollection")} headingId="collection-heading">
      <p>
        <Link href="/ops/collection">{t("collBatches")}</Link>
      </p>
      <Loading error={loaded.error}>{batch && <BatchDetail batch={batch} changed={setBatch} />}</Loading>
    </OpsFrame>
  );
}
