// Deposit reconciliation (入金消込, R36): ops upload a bank statement (CSV), see what
// became of each credit line, and match the lines that wait (unmatched or with several
// candidates) to an invoice by hand. The API records every payment and audits it.
import { useEffect, useState } from "preact/hooks";
import { api, post } from "../api";
import { dateTime, loc, t, yen, type Localized } from "../i18n";
import { Link } from "../router";
import { Field, SelectField } from "../forms";
import { PAGE_SIZE, PagedTable, Table, usePaged, type Page } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useActions, useLoad, useSubmit } from "../ui";
import { OpsFrame } from "./ops";

const BASE = "/api/v1/ops/billing/bank-statements";

type Counts = {
  lines: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  duplicate: number;
  overpaid: number;
  partial: number;
};

type StatementLine = {
  id: string;
  file_line: number;
  value_date: string;
  amount: number;
  payer_kana: string;
  reference: string;
  status: "matched" | "unmatched" | "ambiguous" | "duplicate";
  method: "reference" | "amount_and_kana" | "manual" | null;
  invoice_id: string | null;
  invoice_number: string | null;
  settlement: "full" | "partial" | "overpaid" | null;
  overpaid_amount: number;
  candidate_invoice_ids: string[];
};

type Statement = {
  id: string;
  file_name: string | null;
  imported_at: string;
  imported_by: string;
  counts: Counts;
  lines?: StatementLine[];
  already_imported?: boolean;
};

/** An open invoice a waiting line may be matched to. */
type OpenInvoice = {
  id: string;
  invoice_number: string;
  total: number;
  paid_amount: number;
  service_name: Localized;
};

const STATUS_KEY = {
  matched: "stmtMatched",
  unmatched: "stmtUnmatched",
  ambiguous: "stmtAmbiguous",
  duplicate: "stmtDuplicate",
} as const;

const METHOD_KEY = { reference: "stmtByReference", amount_and_kana: "stmtByKana", manual: "stmtByHand" } as const;

function summary(counts: Counts): string {
  return t("stmtSummary", { ...counts });
}

/** The invoices still open (issued or overdue), for choosing a waiting line's invoice. */
function useOpenInvoices() {
  return useLoad(async () => {
    const pages = await Promise.all(
      ["issued", "overdue"].map((status) =>
        api<Page<OpenInvoice>>(`/api/v1/ops/billing/invoices?status=${status}&limit=200`),
      ),
    );
    return pages.flatMap((page) => page.items);
  });
}

function invoiceLabel(invoice: OpenInvoice): string {
  return `${invoice.invoice_number} — ${t("stmtDue", { amount: yen(invoice.total - invoice.paid_amount) })} — ${loc(invoice.service_name)}`;
}

/** The file input and its upload; ``imported`` gets the import the API answered. */
function StatementUpload({ imported }: { imported: (statement: Statement) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [answer, setAnswer] = useState<Statement | null>(null);
  const { submit, error, busy } = useSubmit(
    () => {
      setAnswer(null);
      const query = file ? `?file_name=${encodeURIComponent(file.name)}` : "";
      return api<Statement>(`${BASE}${query}`, {
        method: "POST",
        body: file ?? new Blob([]),
        headers: { "Content-Type": "text/csv" },
      });
    },
    (statement) => {
      setAnswer(statement);
      imported(statement);
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="statement-upload-heading">
      <h4 id="statement-upload-heading">{t("stmtUpload")}</h4>
      <Field id="statement-file" label={t("stmtFile")} hint={t("stmtFileHint")} required>
        <input
          id="statement-file"
          type="file"
          accept=".csv,text/csv"
          required
          aria-describedby="statement-file-hint"
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </Field>
      <ProblemView error={error} />
      <Success shown={answer !== null}>
        {answer && (answer.already_imported ? t("stmtAlready") : t("stmtImportedNow", { n: answer.counts.lines }))}{" "}
        {answer && summary(answer.counts)}
      </Success>
      <button type="submit" disabled={busy || !file}>
        {t("stmtImport")}
      </button>
    </form>
  );
}

/** What became of a line: its state, how it was matched, and a partial or overpaid flag. */
function Outcome({ line }: { line: StatementLine }) {
  return (
    <>
      <span class={`line-status line-${line.status}`}>{t(STATUS_KEY[line.status])}</span>
      {line.method && <small> ({t(METHOD_KEY[line.method])})</small>}
      {line.settlement === "partial" && (
        <>
          <br />
          <small class="flag">{t("stmtPartial")}</small>
        </>
      )}
      {line.settlement === "overpaid" && (
        <>
          <br />
          <strong class="flag">{t("stmtOverpaid", { amount: yen(line.overpaid_amount) })}</strong>
        </>
      )}
    </>
  );
}

/** A waiting line's manual match: the candidates first, then every other open invoice. */
function ManualMatch(props: {
  statementId: string;
  line: StatementLine;
  invoices: OpenInvoice[];
  matched: (statement: Statement) => void;
}) {
  const { statementId, line, invoices } = props;
  const [invoiceId, setInvoiceId] = useState("");
  const { run, error, busy } = useActions();
  const candidates = invoices.filter((i) => line.candidate_invoice_ids.includes(i.id));
  const others = invoices.filter((i) => !line.candidate_invoice_ids.includes(i.id));
  const options: [string, string][] = [
    ["", "—"],
    ...[...candidates, ...others].map((i): [string, string] => [i.id, invoiceLabel(i)]),
  ];
  const match = () =>
    run(async () => {
      const statement = await post<Statement>(`${BASE}/${statementId}/lines/${line.id}/match`, {
        invoice_id: invoiceId,
      });
      props.matched(statement);
    });
  return (
    <div class="manual-match">
      <SelectField
        id={`match-${line.id}`}
        label={t("stmtChoose")}
        hint={t("stmtChooseHint")}
        options={options}
        value={invoiceId}
        set={setInvoiceId}
      />
      <ActionButton onClick={match} disabled={busy || !invoiceId}>
        {t("stmtMatch")}
      </ActionButton>
      <ProblemView error={error} />
    </div>
  );
}

/** An import's lines with their outcomes; waiting lines offer the manual match. */
function StatementLines({ statement, changed }: { statement: Statement; changed: (s: Statement) => void }) {
  const invoices = useOpenInvoices();
  const waiting = (statement.lines ?? []).some((line) => line.status === "unmatched" || line.status === "ambiguous");
  return (
    <section aria-labelledby="statement-lines-heading">
      <h4 id="statement-lines-heading">
        {t("stmtLines")} — {statement.file_name ?? statement.id}
      </h4>
      <p class="statement-summary">{summary(statement.counts)}</p>
      {waiting && <ProblemView error={invoices.error} />}
      <Table
        class="statement-lines"
        columns={[
          t("stmtLine"),
          t("stmtValueDate"),
          t("stmtAmount"),
          t("stmtPayer"),
          t("stmtReference"),
          t("stmtOutcome"),
          t("stmtInvoice"),
        ]}
        items={statement.lines ?? []}
        row={(line) => (
          <tr key={`${line.id}-${line.status}`} data-line={line.file_line} data-status={line.status}>
            <td>{line.file_line}</td>
            <td class="nowrap">{line.value_date}</td>
            <td class="nowrap">{yen(line.amount)}</td>
            <td lang="ja">{line.payer_kana}</td>
            <td>{line.reference}</td>
            <td class="outcome">
              <Outcome line={line} />
            </td>
            <td>
              {line.invoice_number ?? ""}
              {(line.status === "unmatched" || line.status === "ambiguous") && (
                <ManualMatch
                  statementId={statement.id}
                  line={line}
                  invoices={invoices.data ?? []}
                  matched={(updated) => {
                    changed(updated);
                    invoices.reload();
                  }}
                />
              )}
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/** The imports so far, newest first, each linked to its lines. */
function StatementHistory({ round }: { round: number }) {
  const list = usePaged<Statement>(`${BASE}?limit=${PAGE_SIZE}`);
  useEffect(() => {
    if (round) list.reload();
  }, [round]);
  return (
    <section aria-labelledby="statement-history-heading">
      <h4 id="statement-history-heading">{t("stmtImports")}</h4>
      <PagedTable
        list={list}
        class="statements"
        columns={[t("stmtImportedAt"), t("stmtFileName"), t("stmtOutcome")]}
        row={(statement) => (
          <tr key={statement.id} data-statement-id={statement.id}>
            <td>{dateTime(statement.imported_at)}</td>
            <th scope="row">
              <Link href={`/ops/statements/${statement.id}`}>{statement.file_name ?? statement.id}</Link>
            </th>
            <td>{summary(statement.counts)}</td>
          </tr>
        )}
        empty={<p>{t("stmtNone")}</p>}
      />
    </section>
  );
}

export function OpsStatementsPage() {
  const [current, setCurrent] = useState<Statement | null>(null);
  const [round, setRound] = useState(0);
  const show = (statement: Statement) => {
    setCurrent(statement);
    setRound((n) => n + 1);
  };
  return (
    <OpsFrame title={t("opsStatements")} headingId="statements-heading">
      <StatementUpload imported={show} />
      {current && <StatementLines statement={current} changed={show} />}
      <StatementHistory round={round} />
    </OpsFrame>
  );
}

export function OpsStatementPage({ id }: { id: string }) {
  const [statement, setStatement] = useState<Statement | null>(null);
  const loaded = useLoad(() => api<Statement>(`${BASE}/${id}`).then(setStatement), [id]);
  return (
    <OpsFrame title={t("opsStatements")} headingId="statements-heading">
      <p>
        <Link href="/ops/statements">{t("stmtImports")}</Link>
      </p>
      <Loading error={loaded.error}>{statement && <StatementLines statement={statement} changed={setStatement} />}</Loading>
    </OpsFrame>
  );
}
