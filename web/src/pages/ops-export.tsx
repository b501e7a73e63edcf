// The accounting export (R38): a month's invoices as CSV for the accounting software,
// downloaded with the operator's token (fetched, then handed over as a file).
import { useState } from "preact/hooks";
import { raw } from "../api";
import { t } from "../i18n";
import { InputField } from "../forms";
import { ActionButton, ProblemView, useActions } from "../ui";

/** The month before this one, ``YYYY-MM`` (the month last invoiced). */
function lastMonth(): string {
  const now = new Date();
  const month = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, "0")}`;
}

async function downloadAccountingCsv(month: string): Promise<void> {
  const path = `/api/v1/ops/billing/invoices?month=${encodeURIComponent(month)}`;
  const response = await raw(path, { headers: { Accept: "text/csv" } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `invoices-${month}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Choose an issue month, download its invoices as the accounting CSV. */
export function AccountingExport() {
  const [month, setMonth] = useState(lastMonth());
  const download = useActions();
  return (
    <section class="form accounting-export" aria-labelledby="accounting-export-heading">
      <h3 id="accounting-export-heading">{t("accountingExport")}</h3>
      <p>{t("accountingExportHint")}</p>
      <InputField id="export-month" label={t("issueMonth")} type="month" required value={month} set={setMonth} />
      <div class="actions">
        <ActionButton onClick={() => download.run(() => downloadAccountingCsv(month))} disabled={download.busy || !month}>
          {t("downloadAccountingCsv")}
        </ActionButton>
      </div>
      <ProblemView error={download.error} />
    </section>
  );
}
