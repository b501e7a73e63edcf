// My Page's account screens: profile and contact-email change, password change,
// identity documents with their review state, payment method and account-transfer
// application, and the withdrawal request (with what blocks it when refused).
import { useState } from "preact/hooks";
import { api } from "../api";
import { dateTime, loc, t, type Localized } from "../i18n";
import { Link } from "../router";
import { Field, Loading, ProblemView, useLoad, useSubmit } from "../ui";

export type Me = {
  id: string;
  login_id: string;
  contact_email: string;
  pending_contact_email: string | null;
  name: string;
  name_kana: string | null;
  organization_name: string;
  department: string | null;
  postal_code: string;
  address: string;
  phone: string;
  language: "ja" | "en";
  entity_type: string;
  corporate_number: string | null;
  status: string;
};

const value = (event: Event) => (event.target as HTMLInputElement).value;

const PROFILE_FIELDS = [
  ["name", "name", "name"],
  ["organization_name", "organizationName", "organization"],
  ["department", "department", "off"],
  ["postal_code", "postalCode", "postal-code"],
  ["address", "address", "street-address"],
  ["phone", "phone", "tel"],
] as const;

function ProfileForm({ me, saved }: { me: Me; saved: (me: Me) => void }) {
  const [form, setForm] = useState<Record<string, string>>(
    Object.fromEntries(PROFILE_FIELDS.map(([name]) => [name, me[name] ?? ""])),
  );
  const [language, setLanguage] = useState(me.language);
  const { submit, error, ok } = useSubmit(() => {
    // Only what changed is sent (PATCH): an untouched field stays as it is.
    const changes: Record<string, string> = {};
    for (const [name] of PROFILE_FIELDS) {
      if (form[name] !== (me[name] ?? "")) changes[name] = form[name];
    }
    if (language !== me.language) changes.language = language;
    return api<Me>("/api/v1/me", { method: "PATCH", body: changes });
  }, saved);
  return (
    <form class="form" onSubmit={submit} aria-labelledby="profile-form-heading">
      <h3 id="profile-form-heading">{t("profile")}</h3>
      <p>
        {t("loginId")}: <strong>{me.login_id}</strong> <small class="hint">({t("loginIdFixed")})</small>
      </p>
      {PROFILE_FIELDS.map(([name, label, autocomplete]) => (
        <Field key={name} id={`profile-${name}`} label={t(label)} required={name !== "department"}>
          <input
            id={`profile-${name}`}
            autocomplete={autocomplete}
            required={name !== "department"}
            value={form[name]}
            onInput={(e) => setForm((old) => ({ ...old, [name]: value(e) }))}
          />
        </Field>
      ))}
      <Field id="profile-language" label={t("mailLanguage")}>
        <select id="profile-language" value={language} onChange={(e) => setLanguage(value(e) as "ja" | "en")}>
          <option value="ja">日本語</option>
          <option value="en">English</option>
        </select>
      </Field>
      <ProblemView error={error} />
      {ok && (
        <p role="status" class="success">
          {t("saved")}
        </p>
      )}
      <button type="submit">{t("save")}</button>
    </form>
  );
}

function ContactEmailForm({ me, saved }: { me: Me; saved: (me: Me) => void }) {
  const [email, setEmail] = useState("");
  const { submit, error, ok } = useSubmit(
    () => api<Me>("/api/v1/me", { method: "PATCH", body: { contact_email: email } }),
    saved,
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="email-form-heading">
      <h3 id="email-form-heading">{t("contactEmailChange")}</h3>
      <p>
        {t("currentContactEmail")}: <strong>{me.contact_email}</strong>
      </p>
      {me.pending_contact_email && (
        <p class="pending-email">{t("pendingContactEmail", { email: me.pending_contact_email })}</p>
      )}
      <Field id="new-contact-email" label={t("newContactEmail")} required>
        <input id="new-contact-email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(value(e))} />
      </Field>
      <ProblemView error={error} />
      {ok && (
        <p role="status" class="success">
          {t("contactEmailSent")}
        </p>
      )}
      <button type="submit">{t("sendConfirmation")}</button>
    </form>
  );
}

export function ProfilePage() {
  const me = useLoad(() => api<Me>("/api/v1/me"));
  const [current, setCurrent] = useState<Me | null>(null);
  const shown = current ?? me.data;
  return (
    <>
      <h2>{t("profileEdit")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <Loading error={me.error}>
        {shown && (
          <div class="stack">
            <ProfileForm me={shown} saved={setCurrent} />
            <ContactEmailForm me={shown} saved={setCurrent} />
          </div>
        )}
      </Loading>
    </>
  );
}

export function PasswordPage() {
  const [current, setCurrentPassword] = useState("");
  const [next, setNext] = useState("");
  const { submit, error, ok } = useSubmit(
    () =>
      api("/api/v1/me/password", {
        method: "POST",
        body: { current_password: current, new_password: next },
      }),
    () => {
      setCurrentPassword("");
      setNext("");
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="password-heading">
      <h2 id="password-heading">{t("passwordChange")}</h2>
      <Field id="current-password" label={t("currentPassword")} required>
        <input
          id="current-password"
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrentPassword(value(e))}
        />
      </Field>
      <Field id="new-password" label={t("newPassword")} hint={t("passwordHint")} required>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          minLength={12}
          required
          aria-describedby="new-password-hint"
          value={next}
          onInput={(e) => setNext(value(e))}
        />
      </Field>
      <ProblemView error={error} />
      {ok && (
        <p role="status" class="success">
          {t("passwordChanged")}
        </p>
      )}
      <button type="submit">{t("save")}</button>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
    </form>
  );
}

type IdentityDocument = {
  id: string;
  document_type: string;
  status: "pending" | "approved" | "rejected";
  reason: string | null;
  uploaded_at: string;
  reviewed_at: string | null;
  file_deleted: boolean;
};

export const DOCUMENT_TYPES = ["drivers_license", "my_number_card_front", "passport", "residence_card", "other"] as const;

export function documentTypeLabel(code: string): string {
  const key = {
    drivers_license: "docDriversLicense",
    my_number_card_front: "docMyNumberFront",
    passport: "docPassport",
    residence_card: "docResidenceCard",
    other: "docOther",
  }[code] as Parameters<typeof t>[0] | undefined;
  return key ? t(key) : code;
}

export function reviewLabel(status: string): string {
  return status === "approved" ? t("reviewApproved") : status === "rejected" ? t("reviewRejected") : t("reviewPending");
}

export function DocumentsPage() {
  const docs = useLoad(() =>
    api<{ items: IdentityDocument[]; warning: Localized }>("/api/v1/me/identity-documents"),
  );
  const [kind, setKind] = useState<string>("drivers_license");
  const [file, setFile] = useState<File | null>(null);
  const { submit, error, ok } = useSubmit(
    () => {
      const form = new FormData();
      form.append("document_type", kind);
      if (file) form.append("file", file);
      return api("/api/v1/me/identity-documents", { method: "POST", body: form });
    },
    () => docs.reload(),
  );
  return (
    <>
      <h2>{t("identityDocuments")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <p>{t("documentsIntro")}</p>
      <p class="problem warning" role="note">
        {docs.data ? loc(docs.data.warning) : t("myNumberWarning")}
      </p>
      <section aria-labelledby="documents-heading">
        <h3 id="documents-heading">{t("reviewState")}</h3>
        <Loading error={docs.error}>
          {docs.data &&
            (docs.data.items.length ? (
              <div class="scroll">
                <table class="documents">
                  <thead>
                    <tr>
                      <th scope="col">{t("uploadedAt")}</th>
                      <th scope="col">{t("documentType")}</th>
                      <th scope="col">{t("status")}</th>
                      <th scope="col">{t("reason")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {docs.data.items.map((doc) => (
                      <tr key={doc.id} data-document-id={doc.id}>
                        <td>{dateTime(doc.uploaded_at)}</td>
                        <td>{documentTypeLabel(doc.document_type)}</td>
                        <td class="review-state">{reviewLabel(doc.status)}</td>
                        <td>{doc.reason ?? ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p>{t("noDocuments")}</p>
            ))}
        </Loading>
      </section>
      <form class="form" onSubmit={submit} aria-labelledby="upload-heading">
        <h3 id="upload-heading">{t("uploadDocument")}</h3>
        <Field id="document-type" label={t("documentType")} required>
          <select id="document-type" value={kind} onChange={(e) => setKind(value(e))}>
            {DOCUMENT_TYPES.map((code) => (
              <option key={code} value={code}>
                {documentTypeLabel(code)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="document-file" label={t("documentFile")} hint={t("documentFileHint")} required>
          <input
            id="document-file"
            type="file"
            required
            accept="image/jpeg,image/png,application/pdf"
            aria-describedby="document-file-hint"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
          />
        </Field>
        <ProblemView error={error} />
        {ok && (
          <p role="status" class="success">
            {t("documentUploaded")}
          </p>
        )}
        <button type="submit">{t("upload")}</button>
      </form>
    </>
  );
}

type Transfer = {
  id: string;
  status: "applied" | "completed" | "rejected";
  bank_code: string;
  branch_code: string;
  account_type: "ordinary" | "current";
  account_number_masked: string;
  applied_at: string;
  expected_completion_date: string;
  decided_at: string | null;
  reason: string | null;
};

type Account = {
  payment_method: "invoice" | "account_transfer";
  consolidated_mailing: boolean;
  account_transfer: Transfer | null;
};

export function transferLabel(status: string): string {
  return status === "completed"
    ? t("transferCompleted")
    : status === "rejected"
      ? t("transferRejected")
      : t("transferApplied");
}

export function PaymentPage() {
  const account = useLoad(() => api<Account>("/api/v1/billing/account"));
  const [form, setForm] = useState<Record<string, string>>({ account_type: "ordinary" });
  const bind = (name: string) => ({
    id: `transfer-${name}`,
    value: form[name] ?? "",
    onInput: (e: Event) => setForm((old) => ({ ...old, [name]: value(e) })),
  });
  const { submit, error, ok } = useSubmit(
    () => api("/api/v1/billing/account-transfer", { method: "POST", body: form }),
    () => account.reload(),
  );
  const transfer = account.data?.account_transfer;
  return (
    <>
      <h2>{t("paymentMethod")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <Loading error={account.error}>
        {account.data && (
          <dl class="rules payment">
            <div>
              <dt>{t("paymentMethod")}</dt>
              <dd class="payment-method">
                {account.data.payment_method === "account_transfer" ? t("accountTransfer") : t("payByInvoice")}
              </dd>
            </div>
            {transfer && (
              <>
                <div>
                  <dt>{t("transferApplication")}</dt>
                  <dd class="transfer-state">{transferLabel(transfer.status)}</dd>
                </div>
                <div>
                  <dt>{t("bankAccount")}</dt>
                  <dd>
                    {transfer.bank_code}-{transfer.branch_code}{" "}
                    {transfer.account_type === "ordinary" ? t("ordinary") : t("current")} {transfer.account_number_masked}
                  </dd>
                </div>
                <div>
                  <dt>{t("appliedAt")}</dt>
                  <dd>{dateTime(transfer.applied_at)}</dd>
                </div>
                {transfer.status === "applied" && (
                  <div>
                    <dt>{t("expectedCompletion")}</dt>
                    <dd>{transfer.expected_completion_date}</dd>
                  </div>
                )}
                {transfer.reason && (
                  <div>
                    <dt>{t("reason")}</dt>
                    <dd>{transfer.reason}</dd>
                  </div>
                )}
              </>
            )}
          </dl>
        )}
      </Loading>
      <p class="hint">{t("noCards")}</p>
      {transfer?.status !== "applied" && transfer?.status !== "completed" && (
        <form class="form" onSubmit={submit} aria-labelledby="transfer-heading">
          <h3 id="transfer-heading">{t("applyTransfer")}</h3>
          <p class="hint">{t("transferNote")}</p>
          <Field id="transfer-bank_code" label={t("bankCode")} hint={t("digits", { n: 4 })} required>
            <input inputMode="numeric" pattern="\d{4}" maxLength={4} required aria-describedby="transfer-bank_code-hint" {...bind("bank_code")} />
          </Field>
          <Field id="transfer-branch_code" label={t("branchCode")} hint={t("digits", { n: 3 })} required>
            <input inputMode="numeric" pattern="\d{3}" maxLength={3} required aria-describedby="transfer-branch_code-hint" {...bind("branch_code")} />
          </Field>
          <Field id="transfer-account_type" label={t("accountType")} required>
            <select
              id="transfer-account_type"
              value={form.account_type}
              onChange={(e) => setForm((old) => ({ ...old, account_type: value(e) }))}
            >
              <option value="ordinary">{t("ordinary")}</option>
              <option value="current">{t("current")}</option>
            </select>
          </Field>
          <Field id="transfer-account_number" label={t("accountNumber")} hint={t("digits", { n: 7 })} required>
            <input inputMode="numeric" pattern="\d{7}" maxLength={7} required aria-describedby="transfer-account_number-hint" {...bind("account_number")} />
          </Field>
          <Field id="transfer-holder_name_kana" label={t("holderKana")} hint={t("katakanaOnly")} required>
            <input required maxLength={60} aria-describedby="transfer-holder_name_kana-hint" {...bind("holder_name_kana")} />
          </Field>
          <ProblemView error={error} />
          <button type="submit">{t("apply")}</button>
        </form>
      )}
      {ok && (
        <p role="status" class="success">
          {t("transferSent")}
        </p>
      )}
    </>
  );
}

type BlockingItem = { kind: "order" | "contract"; id: string; service_name: Localized; ends_on: string | null };

type Withdrawal = {
  id: string;
  status: "pending" | "refused" | "withdrawn";
  stage: string | null;
  blocking_items: BlockingItem[];
  reason: string | null;
  requested_at: string;
  decided_at: string | null;
};

function WithdrawalState({ request }: { request: Withdrawal }) {
  if (request.status === "refused") {
    return (
      <div class="problem" role="alert" data-code="withdrawal.refused">
        <p>{t("withdrawalRefused")}</p>
        <ul class="blocking">
          {request.blocking_items.map((item) => (
            <li key={item.id}>
              {item.kind === "order" ? t("openOrder") : t("openContract")}:{" "}
              <Link href={item.kind === "order" ? `/orders/${item.id}` : `/contracts/${item.id}`}>
                {loc(item.service_name)}
              </Link>
              {item.ends_on && ` (${t("endDate")} ${item.ends_on})`}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <p role="status" class="withdrawal-state">
      {request.status === "withdrawn"
        ? t("withdrawn")
        : request.stage === "checking_orders"
          ? t("withdrawalChecking")
          : t("withdrawalPending")}
    </p>
  );
}

export function WithdrawalPage() {
  const latest = useLoad(() =>
    api<Withdrawal>("/api/v1/me/withdrawal").catch((failure) => {
      if ((failure as { problem?: { status: number } }).problem?.status === 404) return null;
      throw failure;
    }),
  );
  const [confirmed, setConfirmed] = useState(false);
  const [answer, setAnswer] = useState<Withdrawal | null>(null);
  const { submit, error } = useSubmit(
    () => api<Withdrawal>("/api/v1/me/withdrawal", { method: "POST" }),
    setAnswer,
  );
  const shown = answer ?? latest.data;
  return (
    <>
      <h2>{t("withdrawal")}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      <p>{t("withdrawalIntro")}</p>
      <Loading error={latest.error}>
        {shown && (
          <section aria-labelledby="withdrawal-state-heading">
            <h3 id="withdrawal-state-heading">{t("withdrawalLatest")}</h3>
            <p>
              {t("requestedAt")}: {dateTime(shown.requested_at)}
            </p>
            <WithdrawalState request={shown} />
          </section>
        )}
      </Loading>
      {shown?.status !== "pending" && shown?.status !== "withdrawn" && (
        <form class="form" onSubmit={submit} aria-labelledby="withdrawal-form-heading">
          <h3 id="withdrawal-form-heading">{t("withdrawalRequest")}</h3>
          <label class="choice">
            <input
              type="checkbox"
              id="withdrawal-confirm"
              checked={confirmed}
              onChange={(e) => setConfirmed((e.target as HTMLInputElement).checked)}
            />
            {t("withdrawalConfirm")}
          </label>
          <ProblemView error={error} />
          <button type="submit" disabled={!confirmed}>
            {t("withdrawalSubmit")}
          </button>
        </form>
      )}
    </>
  );
}
