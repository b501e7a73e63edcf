// Ops console desks: identity-document review, account-transfer completion, notices
// and maintenance windows, inquiries, and every service's dead-letter queue.
import { useState } from "preact/hooks";
import { post, raw } from "../api";
import { dateTime, functionLabel, labels, loc, t, type Localized } from "../i18n";
import { Link } from "../router";
import { Checkbox, choices, InputField, LocalizedFields, SelectField, TextAreaField, useForm } from "../forms";
import { ListTable, PAGE_SIZE, usePaged } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useActions, useApi, useSubmit } from "../ui";
import { bankAccountText, documentTypeLabel, reviewLabel, transferLabel } from "./account";
import { InquiryList, InquiryThread, inquiryStatusLabel, type Inquiry } from "./member";
import { Decision, MemberNote, OpsFrame, StatusFilter, type MemberRef } from "./ops";
import { noticeKindLabel, NOTICE_KINDS } from "./public";

/** The services: each has a dead-letter queue, and each is a function maintenance can hold. */
const SERVICES = ["identity", "catalog", "ordering", "billing", "notification"] as const;

// ---- identity documents ----------------------------------------------------

type OpsDocument = MemberRef & {
  id: string;
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
  const review = useActions(changed);
  const view = useActions();
  const decide = (decision: "approved" | "rejected") =>
    review.run(() =>
      post(`/api/v1/ops/identity/documents/${doc.id}/review`, { decision, reason: reason || undefined }),
    );
  return (
    <tr data-document-id={doc.id} data-member-id={doc.member_id}>
      <td>{dateTime(doc.uploaded_at)}</td>
      <th scope="row">
        {documentTypeLabel(doc.document_type)}
        <br />
        <MemberNote item={doc} />
      </th>
      <td class="review-state">
        {reviewLabel(doc.status)}
        {doc.reason && `: ${doc.reason}`}
      </td>
      <td>
        {!doc.file_deleted && (
          <ActionButton secondary onClick={() => view.run(() => openFile(doc))}>
            {t("viewFile")}
          </ActionButton>
        )}
        {doc.status === "pending" && (
          <>
            <InputField id={`reason-${doc.id}`} label={t("rejectReason")} value={reason} set={setReason} />
            <div class="actions">
              <ActionButton onClick={() => decide("approved")}>{t("approve")}</ActionButton>
              <ActionButton secondary onClick={() => decide("rejected")}>
                {t("reject")}
              </ActionButton>
            </div>
          </>
        )}
        <ProblemView error={review.error ?? view.error} />
      </td>
    </tr>
  );
}

export function OpsDocumentsPage() {
  const [status, setStatus] = useState("pending");
  const docs = usePaged<OpsDocument>(`/api/v1/ops/identity/documents?status=${status}`);
  return (
    <OpsFrame title={t("opsDocuments")}>
      <StatusFilter value={status} set={setStatus} codes={["pending", "approved", "rejected"]} label={reviewLabel} />
      <ListTable
        list={docs}
        class="ops-documents"
        columns={[t("uploadedAt"), t("documentType"), t("status"), t("actions")]}
        row={(doc) => <DocumentRow key={`${doc.id}-${doc.status}`} doc={doc} changed={docs.reload} />}
        empty={<p>{t("nothingHere")}</p>}
      />
    </OpsFrame>
  );
}

// ---- account transfers -----------------------------------------------------

/** An account-transfer application on the desk, naming its member. */
export type OpsTransfer = MemberRef & {
  id: string;
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
  const path = `/api/v1/ops/billing/account-transfers/${transfer.id}`;
  return (
    <tr data-transfer-id={transfer.id} data-member-id={transfer.member_id}>
      <td>{dateTime(transfer.applied_at)}</td>
      <th scope="row">
        {bankAccountText(transfer)}
        <br />
        <MemberNote item={transfer} />
      </th>
      <td class="transfer-state">{transferLabel(transfer.status)}</td>
      <td>
        {transfer.status === "applied" && (
          <Decision
            id={`transfer-reason-${transfer.id}`}
            accept={t("completeTransfer")}
            onAccept={() => post(`${path}/complete`)}
            reasonLabel={t("rejectReason")}
            refuse={t("reject")}
            onRefuse={(reason) => post(`${path}/reject`, { reason: reason || undefined })}
            changed={changed}
          />
        )}
      </td>
    </tr>
  );
}

export function OpsTransfersPage() {
  const [status, setStatus] = useState("applied");
  const transfers = usePaged<OpsTransfer>(`/api/v1/ops/billing/account-transfers?status=${status}&limit=${PAGE_SIZE}`);
  return (
    <OpsFrame title={t("opsTransfers")}>
      <StatusFilter value={status} set={setStatus} codes={["applied", "completed", "rejected"]} label={transferLabel} />
      <ListTable
        list={transfers}
        class="ops-transfers"
        columns={[t("appliedAt"), t("bankAccount"), t("status"), t("actions")]}
        row={(transfer) => (
          <TransferRow key={`${transfer.id}-${transfer.status}`} transfer={transfer} changed={transfers.reload} />
        )}
        empty={<p>{t("nothingHere")}</p>}
      />
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

/** A datetime-local value (Japan time, as ops type it) as an ISO instant. */
function japanInstant(local: string): string | undefined {
  return local ? `${local}:00+09:00` : undefined;
}

function NoticeForm({ created }: { created: () => void }) {
  const { form, bind } = useForm<Record<string, string>>({ category: "information" }, "notice-");
  const [functions, setFunctions] = useState<string[]>([]);
  const maintenance = form.category !== "information";
  const { submit, error, ok } = useSubmit(
    () =>
      post("/api/v1/ops/notification/notices", {
        category: form.category,
        title: { ja: form.title_ja ?? "", en: form.title_en ?? "" },
        body: { ja: form.body_ja ?? "", en: form.body_en ?? "" },
        publish_at: japanInstant(form.publish_at ?? ""),
        starts_at: maintenance ? japanInstant(form.starts_at ?? "") : undefined,
        ends_at: japanInstant(form.ends_at ?? ""),
        functions: maintenance ? functions : [],
      }),
    created,
  );
  const japanTime = { type: "datetime-local", hint: t("japanTimeHint") };
  return (
    <form class="form wide" onSubmit={submit} aria-labelledby="notice-form-heading">
      <h4 id="notice-form-heading">{t("newNotice")}</h4>
      <SelectField
        label={t("noticeCategory")}
        required
        options={choices(NOTICE_KINDS, noticeKindLabel)}
        {...bind("category")}
      />
      <div class="two">
        <LocalizedFields label={t("noticeTitle")} maxLength={200} bind={(language) => bind(`title_${language}`)} />
        <LocalizedFields label={t("body")} rows={3} bind={(language) => bind(`body_${language}`)} />
        <InputField label={t("publishAt")} {...japanTime} {...bind("publish_at")} />
        {maintenance && <InputField label={t("windowStart")} required {...japanTime} {...bind("starts_at")} />}
        <InputField
          label={maintenance ? t("windowEnd") : t("shownUntil")}
          required={maintenance}
          {...japanTime}
          {...bind("ends_at")}
        />
      </div>
      {maintenance && (
        <fieldset>
          <legend>{t("affected")}</legend>
          <p class="hint">{t("maintenanceHolds")}</p>
          {SERVICES.map((code) => (
            <Checkbox
              key={code}
              id={`notice-fn-${code}`}
              checked={functions.includes(code)}
              set={(on) => setFunctions((old) => (on ? [...old, code] : old.filter((f) => f !== code)))}
            >
              {functionLabel(code)}
            </Checkbox>
          ))}
        </fieldset>
      )}
      <ProblemView error={error} />
      <Success shown={ok}>{t("noticeCreated")}</Success>
      <button type="submit">{t("publishNotice")}</button>
    </form>
  );
}

function NoticeRow({ notice, changed }: { notice: OpsNotice; changed: () => void }) {
  const withdraw = useActions(changed);
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
          <ActionButton
            secondary
            onClick={() => withdraw.run(() => post(`/api/v1/ops/notification/notices/${notice.id}/withdraw`))}
          >
            {t("withdrawNotice")}
          </ActionButton>
        )}
        <ProblemView error={withdraw.error} />
      </td>
    </tr>
  );
}

export function OpsNoticesPage() {
  const notices = usePaged<OpsNotice>("/api/v1/ops/notification/notices");
  return (
    <OpsFrame title={t("opsNotices")}>
      <NoticeForm created={notices.reload} />
      <ListTable
        list={notices}
        class="ops-notices"
        columns={[t("noticeCategory"), t("noticeTitle"), t("period"), t("status"), t("actions")]}
        row={(notice) => <NoticeRow key={`${notice.id}-${notice.withdrawn_at}`} notice={notice} changed={notices.reload} />}
        empty={<p>{t("noNotices")}</p>}
      />
    </OpsFrame>
  );
}

// ---- inquiries --------------------------------------------------------------

type OpsInquiry = Inquiry & MemberRef;

export function OpsInquiriesPage() {
  const [status, setStatus] = useState("open");
  const inquiries = usePaged<OpsInquiry>(
    `/api/v1/ops/notification/inquiries?limit=${PAGE_SIZE}${status ? `&status=${status}` : ""}`,
  );
  return (
    <OpsFrame title={t("opsInquiries")}>
      <StatusFilter
        value={status}
        set={setStatus}
        codes={["open", "answered", "closed", ""]}
        label={inquiryStatusLabel}
      />
      <InquiryList
        list={inquiries}
        class="ops-inquiries"
        base="/ops/inquiries"
        empty={t("nothingHere")}
        note={(inquiry) => <MemberNote item={inquiry as OpsInquiry} />}
      />
    </OpsFrame>
  );
}

export function OpsInquiryPage({ id }: { id: string }) {
  const path = `/api/v1/ops/notification/inquiries/${id}`;
  const inquiry = useApi<OpsInquiry>(path);
  const [answer, setAnswer] = useState("");
  const send = useSubmit(
    () => post(`${path}/answers`, { body: answer }),
    () => {
      setAnswer("");
      inquiry.reload();
    },
  );
  const close = useActions(inquiry.reload);
  return (
    <OpsFrame title={t("inquiry")}>
      <p>
        <Link href="/ops/inquiries">{t("opsInquiries")}</Link>
      </p>
      <Loading error={inquiry.error}>
        {inquiry.data && (
          <>
            <p>
              <MemberNote item={inquiry.data} />
            </p>
            <InquiryThread inquiry={inquiry.data} />
            {inquiry.data.status !== "closed" && (
              <>
                <form class="form" onSubmit={send.submit} aria-labelledby="answer-heading">
                  <h4 id="answer-heading">{t("answer")}</h4>
                  <TextAreaField id="answer-body" label={t("answerBody")} required rows={5} value={answer} set={setAnswer} />
                  <ProblemView error={send.error} />
                  <Success shown={send.ok}>{t("answerSent")}</Success>
                  <button type="submit">{t("sendAnswer")}</button>
                </form>
                <p>
                  <ActionButton secondary onClick={() => close.run(() => post(`${path}/close`))}>
                    {t("closeInquiry")}
                  </ActionButton>
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

const letterLabel = labels({ replayed: "letterReplayed", discarded: "letterDiscarded" }, "letterPending");

function LetterRow({ service, letter, changed }: { service: string; letter: DeadLetter; changed: () => void }) {
  const { run, error } = useActions(changed);
  const path = `/api/v1/ops/${service}/dead-letters/${letter.id}`;
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
            <ActionButton onClick={() => run(() => post(`${path}/replay`))}>{t("replay")}</ActionButton>
            <ActionButton secondary onClick={() => run(() => post(`${path}/discard`))}>
              {t("discard")}
            </ActionButton>
          </div>
        )}
        <ProblemView error={error} />
      </td>
    </tr>
  );
}

export function OpsDeadLettersPage() {
  const [service, setService] = useState<string>("ordering");
  const [status, setStatus] = useState("pending");
  const letters = usePaged<DeadLetter>(`/api/v1/ops/${service}/dead-letters?status=${status}&limit=${PAGE_SIZE}`);
  return (
    <OpsFrame title={t("deadLetters")}>
      <div class="two">
        <SelectField
          id="letter-service"
          label={t("service")}
          value={service}
          set={setService}
          options={SERVICES.map((name) => [name, `${functionLabel(name)} (${name})`])}
        />
        <StatusFilter
          value={status}
          set={setStatus}
          codes={["pending", "replayed", "discarded"]}
          label={letterLabel}
        />
      </div>
      <ListTable
        list={letters}
        class="dead-letters"
        columns={[t("deadLetteredAt"), t("eventType"), t("error"), t("status"), t("actions")]}
        row={(letter) => (
          <LetterRow key={`${letter.id}-${letter.status}`} service={service} letter={letter} changed={letters.reload} />
        )}
        empty={<p class="no-letters">{t("noDeadLetters")}</p>}
      />
    </OpsFrame>
  );
}
