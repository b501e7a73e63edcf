// Ops console desks: identity-document review, account-transfer completion, notices
// and maintenance windows, inquiries, and every service's dead-letter queue.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, raw } from "../api";
import { dateTime, functionLabel, loc, t, type Localized } from "../i18n";
import { Link } from "../router";
import { Field, Loading, ProblemView, useLoad, useSubmit } from "../ui";
import { documentTypeLabel, reviewLabel, transferLabel } from "./account";
import { categoryLabel, InquiryThread, inquiryStatusLabel, type Inquiry } from "./member";
import { OpsNav } from "./ops";

const inputValue = (e: Event) => (e.target as HTMLInputElement).value;

function OpsFrame({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      <section aria-labelledby="desk-heading">
        <h3 id="desk-heading">{title}</h3>
        {children}
      </section>
    </>
  );
}

function StatusFilter(props: { value: string; set: (v: string) => void; options: [string, string][] }) {
  return (
    <Field id="desk-status" label={t("filterStatus")}>
      <select id="desk-status" value={props.value} onChange={(e) => props.set(inputValue(e))}>
        {props.options.map(([code, label]) => (
          <option key={code} value={code}>
            {label}
          </option>
        ))}
      </select>
    </Field>
  );
}

// ---- identity documents ----------------------------------------------------

type OpsDocument = {
  id: string;
  member_id: string;
  document_type: string;
  content_type: string;
  size_bytes: number;
  status: string;
  reason: string | null;
  uploaded_at: string;
  file_deleted: boolean;
};

async function openFile(doc: OpsDocument): Promise<void> {
  // The file needs the bearer token: fetched, then shown from a blob URL.
  const response = await raw(`/api/v1/ops/identity/documents/${doc.id}/file`);
  const url = URL.createObjectURL(await response.blob());
  window.open(url, "_blank", "noopener");
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function DocumentRow({ doc, changed }: { doc: OpsDocument; changed: () => void }) {
  const [reason, setReason] = useState("");
  const review = (decision: "approved" | "rejected") =>
    api(`/api/v1/ops/identity/documents/${doc.id}/review`, {
      method: "POST",
      body: { decision, reason: reason || undefined },
    });
  const approve = useSubmit(() => review("approved"), changed);
  const reject = useSubmit(() => review("rejected"), changed);
  const view = useSubmit(() => openFile(doc));
  return (
    <tr data-document-id={doc.id} data-member-id={doc.member_id}>
      <td>{dateTime(doc.uploaded_at)}</td>
      <th scope="row">
        {documentTypeLabel(doc.document_type)}
        <br />
        <small>
          {t("member")}: {doc.member_id}
        </small>
      </th>
      <td class="review-state">
        {reviewLabel(doc.status)}
        {doc.reason && `: ${doc.reason}`}
      </td>
      <td>
        {!doc.file_deleted && (
          <button type="button" class="secondary" onClick={() => view.submit()}>
            {t("viewFile")}
          </button>
        )}
        {doc.status === "pending" && (
          <>
            <Field id={`reason-${doc.id}`} label={t("rejectReason")}>
              <input id={`reason-${doc.id}`} value={reason} onInput={(e) => setReason(inputValue(e))} />
            </Field>
            <div class="actions">
              <button type="button" onClick={() => approve.submit()}>
                {t("approve")}
              </button>
              <button type="button" class="secondary" onClick={() => reject.submit()}>
                {t("reject")}
              </button>
            </div>
          </>
        )}
        <ProblemView error={approve.error ?? reject.error ?? view.error} />
      </td>
    </tr>
  );
}

export function OpsDocumentsPage() {
  const [status, setStatus] = useState("pending");
  const docs = useLoad(() => api<{ items: OpsDocument[] }>(`/api/v1/ops/identity/documents?status=${status}`), [status]);
  return (
    <OpsFrame title={t("opsDocuments")}>
      <StatusFilter
        value={status}
        set={setStatus}
        options={[
          ["pending", t("reviewPending")],
          ["approved", t("reviewApproved")],
          ["rejected", t("reviewRejected")],
        ]}
      />
      <Loading error={docs.error}>
        {docs.data &&
          (docs.data.items.length ? (
            <div class="scroll">
              <table class="ops-documents">
                <thead>
                  <tr>
                    <th scope="col">{t("uploadedAt")}</th>
                    <th scope="col">{t("documentType")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {docs.data.items.map((doc) => (
                    <DocumentRow key={`${doc.id}-${doc.status}`} doc={doc} changed={docs.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>{t("nothingHere")}</p>
          ))}
      </Loading>
    </OpsFrame>
  );
}

// ---- account transfers -----------------------------------------------------

type OpsTransfer = {
  id: string;
  member_id: string;
  status: string;
  bank_code: string;
  branch_code: string;
  account_type: string;
  account_number_masked: string;
  applied_at: string;
  expected_completion_date: string;
  reason: string | null;
};

function TransferRow({ transfer, changed }: { transfer: OpsTransfer; changed: () => void }) {
  const [reason, setReason] = useState("");
  const path = `/api/v1/ops/billing/account-transfers/${transfer.id}`;
  const complete = useSubmit(() => api(`${path}/complete`, { method: "POST" }), changed);
  const reject = useSubmit(
    () => api(`${path}/reject`, { method: "POST", body: { reason: reason || undefined } }),
    changed,
  );
  return (
    <tr data-transfer-id={transfer.id} data-member-id={transfer.member_id}>
      <td>{dateTime(transfer.applied_at)}</td>
      <th scope="row">
        {transfer.bank_code}-{transfer.branch_code} {transfer.account_type === "ordinary" ? t("ordinary") : t("current")}{" "}
        {transfer.account_number_masked}
        <br />
        <small>
          {t("member")}: {transfer.member_id}
        </small>
      </th>
      <td class="transfer-state">{transferLabel(transfer.status)}</td>
      <td>
        {transfer.status === "applied" && (
          <>
            <div class="actions">
              <button type="button" onClick={() => complete.submit()}>
                {t("completeTransfer")}
              </button>
            </div>
            <Field id={`transfer-reason-${transfer.id}`} label={t("rejectReason")}>
              <input id={`transfer-reason-${transfer.id}`} value={reason} onInput={(e) => setReason(inputValue(e))} />
            </Field>
            <button type="button" class="secondary" onClick={() => reject.submit()}>
              {t("reject")}
            </button>
          </>
        )}
        <ProblemView error={complete.error ?? reject.error} />
      </td>
    </tr>
  );
}

export function OpsTransfersPage() {
  const [status, setStatus] = useState("applied");
  const transfers = useLoad(
    () => api<{ items: OpsTransfer[] }>(`/api/v1/ops/billing/account-transfers?status=${status}&limit=200`),
    [status],
  );
  return (
    <OpsFrame title={t("opsTransfers")}>
      <StatusFilter
        value={status}
        set={setStatus}
        options={[
          ["applied", t("transferApplied")],
          ["completed", t("transferCompleted")],
          ["rejected", t("transferRejected")],
        ]}
      />
      <Loading error={transfers.error}>
        {transfers.data &&
          (transfers.data.items.length ? (
            <div class="scroll">
              <table class="ops-transfers">
                <thead>
                  <tr>
                    <th scope="col">{t("appliedAt")}</th>
                    <th scope="col">{t("bankAccount")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {transfers.data.items.map((transfer) => (
                    <TransferRow key={`${transfer.id}-${transfer.status}`} transfer={transfer} changed={transfers.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>{t("nothingHere")}</p>
          ))}
      </Loading>
    </OpsFrame>
  );
}

// ---- notices and maintenance windows ----------------------------------------

type OpsNotice = {
  id: string;
  category: string;
  title: Localized;
  body: Localized;
  publish_at: string;
  starts_at: string | null;
  ends_at: string | null;
  functions: string[];
  in_progress: boolean;
  withdrawn_at: string | null;
};

const FUNCTIONS = ["identity", "catalog", "ordering", "billing", "notification"] as const;

/** A datetime-local value (Japan time, as ops type it) as an ISO instant. */
function japanInstant(local: string): string | undefined {
  return local ? `${local}:00+09:00` : undefined;
}

export function noticeKindLabel(category: string): string {
  return category === "maintenance"
    ? t("maintenance")
    : category === "emergency_maintenance"
      ? t("emergencyMaintenance")
      : t("information");
}


function NoticeForm({ created }: { created: () => void }) {
  const [form, setForm] = useState<Record<string, string>>({ category: "information" });
  const [functions, setFunctions] = useState<string[]>([]);
  const bind = (name: string) => ({
    id: `notice-${name}`,
    value: form[name] ?? "",
    onInput: (e: Event) => setForm((old) => ({ ...old, [name]: inputValue(e) })),
  });
  const maintenance = form.category !== "information";
  const { submit, error, ok } = useSubmit(
    () =>
      api("/api/v1/ops/notification/notices", {
        method: "POST",
        body: {
          category: form.category,
          title: { ja: form.title_ja ?? "", en: form.title_en ?? "" },
          body: { ja: form.body_ja ?? "", en: form.body_en ?? "" },
          publish_at: japanInstant(form.publish_at ?? ""),
          starts_at: maintenance ? japanInstant(form.starts_at ?? "") : undefined,
          ends_at: japanInstant(form.ends_at ?? ""),
          functions: maintenance ? functions : [],
        },
      }),
    created,
  );
  return (
    <form class="form wide" onSubmit={submit} aria-labelledby="notice-form-heading">
      <h4 id="notice-form-heading">{t("newNotice")}</h4>
      <Field id="notice-category" label={t("noticeCategory")} required>
        <select {...bind("category")} onChange={bind("category").onInput}>
          {["information", "maintenance", "emergency_maintenance"].map((code) => (
            <option key={code} value={code}>
              {noticeKindLabel(code)}
            </option>
          ))}
        </select>
      </Field>
      <div class="two">
        <Field id="notice-title_ja" label={`${t("noticeTitle")} (日本語)`} required>
          <input required maxLength={200} {...bind("title_ja")} />
        </Field>
        <Field id="notice-title_en" label={`${t("noticeTitle")} (English)`} required>
          <input required maxLength={200} {...bind("title_en")} />
        </Field>
        <Field id="notice-body_ja" label={`${t("body")} (日本語)`} required>
          <textarea required rows={3} {...bind("body_ja")} />
        </Field>
        <Field id="notice-body_en" label={`${t("body")} (English)`} required>
          <textarea required rows={3} {...bind("body_en")} />
        </Field>
        <Field id="notice-publish_at" label={t("publishAt")} hint={t("japanTimeHint")}>
          <input type="datetime-local" aria-describedby="notice-publish_at-hint" {...bind("publish_at")} />
        </Field>
        {maintenance && (
          <Field id="notice-starts_at" label={t("windowStart")} hint={t("japanTimeHint")} required>
            <input type="datetime-local" required aria-describedby="notice-starts_at-hint" {...bind("starts_at")} />
          </Field>
        )}
        <Field id="notice-ends_at" label={maintenance ? t("windowEnd") : t("shownUntil")} hint={t("japanTimeHint")} required={maintenance}>
          <input type="datetime-local" required={maintenance} aria-describedby="notice-ends_at-hint" {...bind("ends_at")} />
        </Field>
      </div>
      {maintenance && (
        <fieldset>
          <legend>{t("affected")}</legend>
          <p class="hint">{t("maintenanceHolds")}</p>
          {FUNCTIONS.map((code) => (
            <label key={code} class="choice">
              <input
                type="checkbox"
                id={`notice-fn-${code}`}
                checked={functions.includes(code)}
                onChange={(e) =>
                  setFunctions((old) =>
                    (e.target as HTMLInputElement).checked ? [...old, code] : old.filter((f) => f !== code),
                  )
                }
              />
              {functionLabel(code)}
            </label>
          ))}
        </fieldset>
      )}
      <ProblemView error={error} />
      {ok && (
        <p role="status" class="success">
          {t("noticeCreated")}
        </p>
      )}
      <button type="submit">{t("publishNotice")}</button>
    </form>
  );
}

function NoticeRow({ notice, changed }: { notice: OpsNotice; changed: () => void }) {
  const withdraw = useSubmit(
    () => api(`/api/v1/ops/notification/notices/${notice.id}/withdraw`, { method: "POST" }),
    changed,
  );
  return (
    <tr data-notice-id={notice.id}>
      <td>{noticeKindLabel(notice.category)}</td>
      <th scope="row">{loc(notice.title)}</th>
      <td>
        {notice.starts_at && `${dateTime(notice.starts_at)} – `}
        {notice.ends_at && dateTime(notice.ends_at)}
        {notice.functions.length > 0 && (
          <>
            <br />
            <small>{notice.functions.map(functionLabel).join(", ")}</small>
          </>
        )}
      </td>
      <td class="notice-state">
        {notice.withdrawn_at ? t("withdrawnNotice") : notice.in_progress ? t("inProgress") : t("publishedNotice")}
      </td>
      <td>
        {!notice.withdrawn_at && (
          <button type="button" class="secondary" onClick={() => withdraw.submit()}>
            {t("withdrawNotice")}
          </button>
        )}
        <ProblemView error={withdraw.error} />
      </td>
    </tr>
  );
}

export function OpsNoticesPage() {
  const notices = useLoad(() => api<{ items: OpsNotice[] }>("/api/v1/ops/notification/notices"));
  return (
    <OpsFrame title={t("opsNotices")}>
      <NoticeForm created={notices.reload} />
      <Loading error={notices.error}>
        {notices.data &&
          (notices.data.items.length ? (
            <div class="scroll">
              <table class="ops-notices">
                <thead>
                  <tr>
                    <th scope="col">{t("noticeCategory")}</th>
                    <th scope="col">{t("noticeTitle")}</th>
                    <th scope="col">{t("period")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {notices.data.items.map((notice) => (
                    <NoticeRow key={`${notice.id}-${notice.withdrawn_at}`} notice={notice} changed={notices.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>{t("noNotices")}</p>
          ))}
      </Loading>
    </OpsFrame>
  );
}

// ---- inquiries --------------------------------------------------------------

type OpsInquiry = Inquiry & { member_id: string };

export function OpsInquiriesPage() {
  const [status, setStatus] = useState("open");
  const inquiries = useLoad(
    () => api<{ items: OpsInquiry[] }>(`/api/v1/ops/notification/inquiries?limit=100${status ? `&status=${status}` : ""}`),
    [status],
  );
  return (
    <OpsFrame title={t("opsInquiries")}>
      <StatusFilter
        value={status}
        set={setStatus}
        options={[
          ["open", t("inqOpen")],
          ["answered", t("inqAnswered")],
          ["closed", t("inqClosed")],
          ["", t("all")],
        ]}
      />
      <Loading error={inquiries.error}>
        {inquiries.data &&
          (inquiries.data.items.length ? (
            <div class="scroll">
              <table class="ops-inquiries">
                <thead>
                  <tr>
                    <th scope="col">{t("sentAt")}</th>
                    <th scope="col">{t("subject")}</th>
                    <th scope="col">{t("category")}</th>
                    <th scope="col">{t("status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {inquiries.data.items.map((inquiry) => (
                    <tr key={inquiry.id} data-inquiry-id={inquiry.id}>
                      <td>{dateTime(inquiry.created_at)}</td>
                      <th scope="row">
                        <Link href={`/ops/inquiries/${inquiry.id}`}>{inquiry.subject}</Link>
                      </th>
                      <td>{categoryLabel(inquiry.category)}</td>
                      <td>{inquiryStatusLabel(inquiry.status)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>{t("nothingHere")}</p>
          ))}
      </Loading>
    </OpsFrame>
  );
}

export function OpsInquiryPage({ id }: { id: string }) {
  const path = `/api/v1/ops/notification/inquiries/${id}`;
  const inquiry = useLoad(() => api<OpsInquiry>(path), [id]);
  const [answer, setAnswer] = useState("");
  const send = useSubmit(
    () => api(`${path}/answers`, { method: "POST", body: { body: answer } }),
    () => {
      setAnswer("");
      inquiry.reload();
    },
  );
  const close = useSubmit(() => api(`${path}/close`, { method: "POST" }), inquiry.reload);
  return (
    <OpsFrame title={t("inquiry")}>
      <p>
        <Link href="/ops/inquiries">{t("opsInquiries")}</Link>
      </p>
      <Loading error={inquiry.error}>
        {inquiry.data && (
          <>
            <p>
              {t("member")}: {inquiry.data.member_id}
            </p>
            <InquiryThread inquiry={inquiry.data} />
            {inquiry.data.status !== "closed" && (
              <>
                <form class="form" onSubmit={send.submit} aria-labelledby="answer-heading">
                  <h4 id="answer-heading">{t("answer")}</h4>
                  <Field id="answer-body" label={t("answerBody")} required>
                    <textarea id="answer-body" required rows={5} value={answer} onInput={(e) => setAnswer(inputValue(e))} />
                  </Field>
                  <ProblemView error={send.error} />
                  {send.ok && (
                    <p role="status" class="success">
                      {t("answerSent")}
                    </p>
                  )}
                  <button type="submit">{t("sendAnswer")}</button>
                </form>
                <p>
                  <button type="button" class="secondary" onClick={() => close.submit()}>
                    {t("closeInquiry")}
                  </button>
                </p>
                <ProblemView error={close.error} />
              </>
            )}
          </>
        )}
      </Loading>
    </OpsFrame>
  );
}

// ---- dead letters -----------------------------------------------------------

type DeadLetter = {
  id: string;
  event_type: string | null;
  origin_queue: string;
  error: string;
  attempts: number;
  status: string;
  dead_lettered_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
};

const SERVICES = ["identity", "catalog", "ordering", "billing", "notification"] as const;

function LetterRow({ service, letter, changed }: { service: string; letter: DeadLetter; changed: () => void }) {
  const path = `/api/v1/ops/${service}/dead-letters/${letter.id}`;
  const replay = useSubmit(() => api(`${path}/replay`, { method: "POST" }), changed);
  const discard = useSubmit(() => api(`${path}/discard`, { method: "POST" }), changed);
  return (
    <tr data-letter-id={letter.id}>
      <td>{dateTime(letter.dead_lettered_at)}</td>
      <th scope="row">
        {letter.event_type ?? "—"}
        <br />
        <small>{letter.origin_queue}</small>
      </th>
      <td>
        <code class="error-text">{letter.error}</code>
        <br />
        <small>{t("attempts", { n: letter.attempts })}</small>
      </td>
      <td class="letter-state">{letterLabel(letter.status)}</td>
      <td>
        {letter.status === "pending" && (
          <div class="actions">
            <button type="button" onClick={() => replay.submit()}>
              {t("replay")}
            </button>
            <button type="button" class="secondary" onClick={() => discard.submit()}>
              {t("discard")}
            </button>
          </div>
        )}
        <ProblemView error={replay.error ?? discard.error} />
      </td>
    </tr>
  );
}

function letterLabel(status: string): string {
  return status === "replayed" ? t("letterReplayed") : status === "discarded" ? t("letterDiscarded") : t("letterPending");
}

export function OpsDeadLettersPage() {
  const [service, setService] = useState<string>("ordering");
  const [status, setStatus] = useState("pending");
  const letters = useLoad(
    () => api<{ items: DeadLetter[] }>(`/api/v1/ops/${service}/dead-letters?status=${status}&limit=200`),
    [service, status],
  );
  return (
    <OpsFrame title={t("deadLetters")}>
      <div class="two">
        <Field id="letter-service" label={t("service")}>
          <select id="letter-service" value={service} onChange={(e) => setService(inputValue(e))}>
            {SERVICES.map((name) => (
              <option key={name} value={name}>
                {functionLabel(name)} ({name})
              </option>
            ))}
          </select>
        </Field>
        <StatusFilter
          value={status}
          set={setStatus}
          options={[
            ["pending", t("letterPending")],
            ["replayed", t("letterReplayed")],
            ["discarded", t("letterDiscarded")],
          ]}
        />
      </div>
      <Loading error={letters.error}>
        {letters.data &&
          (letters.data.items.length ? (
            <div class="scroll">
              <table class="dead-letters">
                <thead>
                  <tr>
                    <th scope="col">{t("deadLetteredAt")}</th>
                    <th scope="col">{t("eventType")}</th>
                    <th scope="col">{t("error")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {letters.data.items.map((letter) => (
                    <LetterRow key={`${letter.id}-${letter.status}`} service={service} letter={letter} changed={letters.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="no-letters">{t("noDeadLetters")}</p>
          ))}
      </Loading>
    </OpsFrame>
  );
}
