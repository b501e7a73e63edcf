// My Page's account screens: profile and contact-email change, password change,
// identity documents with their review state, payment method and account-transfer
// application, and the withdrawal request (with what blocks it when refused).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, post } from "../api";
import { dateTime, labels, loc, t, type Localized } from "../i18n";
import { Link } from "../router";
import { Checkbox, choices, Field, InputField, LANGUAGE_OPTIONS, SelectField, useForm } from "../forms";
import { ListTable, Terms, type List } from "../lists";
import { Loading, ProblemView, Success, useApi, useLoad, useSubmit } from "../ui";
import { CURRENT_PASSWORD, EMAIL, newPassword } from "./auth";

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

/** A screen of My Page: its title, and the way back. */
function AccountScreen({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <>
      <h2>{title}</h2>
      <p>
        <Link href="/me">{t("backToMyPage")}</Link>
      </p>
      {children}
    </>
  );
}

const PROFILE_FIELDS = [
  ["name", "name", "name"],
  ["organization_name", "organizationName", "organization"],
  ["department", "department", "off"],
  ["postal_code", "postalCode", "postal-code"],
  ["address", "address", "street-address"],
  ["phone", "phone", "tel"],
] as const;

function ProfileForm({ me, saved }: { me: Me; saved: (me: Me) => void }) {
  const { form, bind } = useForm<Record<string, string>>(
    Object.fromEntries(PROFILE_FIELDS.map(([name]) => [name, me[name] ?? ""])),
    "profile-",
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
        <InputField
          key={name}
          label={t(label)}
          autocomplete={autocomplete}
          required={name !== "department"}
          {...bind(name)}
        />
      ))}
      <SelectField
        id="profile-language"
        label={t("mailLanguage")}
        options={LANGUAGE_OPTIONS}
        value={language}
        set={(code) => setLanguage(code as Me["language"])}
      />
      <ProblemView error={error} />
      <Success shown={ok}>{t("saved")}</Success>
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
      <InputField id="new-contact-email" label={t("newContactEmail")} required {...EMAIL} value={email} set={setEmail} />
      <ProblemView error={error} />
      <Success shown={ok}>{t("contactEmailSent")}</Success>
      <button type="submit">{t("sendConfirmation")}</button>
    </form>
  );
}

export function ProfilePage() {
  const me = useApi<Me>("/api/v1/me");
  const [current, setCurrent] = useState<Me | null>(null);
  const shown = current ?? me.data;
  return (
    <AccountScreen title={t("profileEdit")}>
      <Loading error={me.error}>
        {shown && (
          <div class="stack">
            <ProfileForm me={shown} saved={setCurrent} />
            <ContactEmailForm me={shown} saved={setCurrent} />
          </div>
        )}
      </Loading>
    </AccountScreen>
  );
}

export function PasswordPage() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { submit, error, ok } = useSubmit(
    () => post("/api/v1/me/password", { current_password: current, new_password: next }),
    () => {
      setCurrent("");
      setNext("");
    },
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="password-heading">
      <h2 id="password-heading">{t("passwordChange")}</h2>
      <InputField id="current-password" label={t("currentPassword")} required {...CURRENT_PASSWORD} value={current} set={setCurrent} />
      <InputField id="new-password" label={t("newPassword")} required {...newPassword()} value={next} set={setNext} />
      <ProblemView error={error} />
      <Success shown={ok}>{t("passwordChanged")}</Success>
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

export const documentTypeLabel = labels({
  drivers_license: "docDriversLicense",
  my_number_card_front: "docMyNumberFront",
  passport: "docPassport",
  residence_card: "docResidenceCard",
  other: "docOther",
});

export const reviewLabel = labels({ approved: "reviewApproved", rejected: "reviewRejected" }, "reviewPending");

export function DocumentsPage() {
  const docs = useApi<List<IdentityDocument> & { warning: Localized }>("/api/v1/me/identity-documents");
  const [kind, setKind] = useState<string>("drivers_license");
  const [file, setFile] = useState<File | null>(null);
  const { submit, error, ok } = useSubmit(
    () => {
      const form = new FormData();
      form.append("document_type", kind);
      if (file) form.append("file", file);
      return post("/api/v1/me/identity-documents", form);
    },
    () => docs.reload(),
  );
  return (
    <AccountScreen title={t("identityDocuments")}>
      <p>{t("documentsIntro")}</p>
      <p class="problem warning" role="note">
        {docs.data ? loc(docs.data.warning) : t("myNumberWarning")}
      </p>
      <section aria-labelledby="documents-heading">
        <h3 id="documents-heading">{t("reviewState")}</h3>
        <ListTable
          list={docs}
          class="documents"
          columns={[t("uploadedAt"), t("documentType"), t("status"), t("reason")]}
          row={(doc) => (
            <tr key={doc.id} data-document-id={doc.id}>
              <td>{dateTime(doc.uploaded_at)}</td>
              <td>{documentTypeLabel(doc.document_type)}</td>
              <td class="review-state">{reviewLabel(doc.status)}</td>
              <td>{doc.reason ?? ""}</td>
            </tr>
          )}
          empty={<p>{t("noDocuments")}</p>}
        />
      </section>
      <form class="form" onSubmit={submit} aria-labelledby="upload-heading">
        <h3 id="upload-heading">{t("uploadDocument")}</h3>
        <SelectField
          id="document-type"
          label={t("documentType")}
          required
          options={choices(DOCUMENT_TYPES, documentTypeLabel)}
          value={kind}
          set={setKind}
        />
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
        <Success shown={ok}>{t("documentUploaded")}</Success>
        <button type="submit">{t("upload")}</button>
      </form>
    </AccountScreen>
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

export const transferLabel = labels(
  { completed: "transferCompleted", rejected: "transferRejected" },
  "transferApplied",
);

/** The bank account of a transfer application, its number masked. */
export function bankAccountText(transfer: Pick<Transfer, "bank_code" | "branch_code" | "account_number_masked"> & {
  account_type: string;
}): string {
  const kind = transfer.account_type === "ordinary" ? t("ordinary") : t("current");
  return `${transfer.bank_code}-${transfer.branch_code} ${kind} ${transfer.account_number_masked}`;
}

/** The props of a field of exactly ``n`` digits (bank, branch and account numbers). */
function digits(n: number) {
  return { inputMode: "numeric", pattern: `\\d{${n}}`, maxLength: n, hint: t("digits", { n }) } as const;
}

export function PaymentPage() {
  const account = useApi<Account>("/api/v1/billing/account");
  const { form, bind } = useForm<Record<string, string>>({ account_type: "ordinary" }, "transfer-");
  const { submit, error, ok } = useSubmit(
    () => post("/api/v1/billing/account-transfer", form),
    () => account.reload(),
  );
  const transfer = account.data?.account_transfer;
  return (
    <AccountScreen title={t("paymentMethod")}>
      <Loading error={account.error}>
        {account.data && (
          <Terms
            class="rules payment"
            rows={[
              [
                t("paymentMethod"),
                account.data.payment_method === "account_transfer" ? t("accountTransfer") : t("payByInvoice"),
                "payment-method",
              ],
              ...(transfer
                ? [
                    [t("transferApplication"), transferLabel(transfer.status), "transfer-state"] as const,
                    [t("bankAccount"), bankAccountText(transfer)] as const,
                    [t("appliedAt"), dateTime(transfer.applied_at)] as const,
                    transfer.status === "applied" && ([t("expectedCompletion"), transfer.expected_completion_date] as const),
                    transfer.reason ? ([t("reason"), transfer.reason] as const) : null,
                  ]
                : []),
            ]}
          />
        )}
      </Loading>
      <p class="hint">{t("noCards")}</p>
      {transfer?.status !== "applied" && transfer?.status !== "completed" && (
        <form class="form" onSubmit={submit} aria-labelledby="transfer-heading">
          <h3 id="transfer-heading">{t("applyTransfer")}</h3>
          <p class="hint">{t("transferNote")}</p>
          <InputField label={t("bankCode")} required {...digits(4)} {...bind("bank_code")} />
          <InputField label={t("branchCode")} required {...digits(3)} {...bind("branch_code")} />
          <SelectField
            label={t("accountType")}
            required
            options={[
              ["ordinary", t("ordinary")],
              ["current", t("current")],
            ]}
            {...bind("account_type")}
          />
          <InputField label={t("accountNumber")} required {...digits(7)} {...bind("account_number")} />
          <InputField
            label={t("holderKana")}
            hint={t("katakanaOnly")}
            required
            maxLength={60}
            {...bind("holder_name_kana")}
          />
          <ProblemView error={error} />
          <button type="submit">{t("apply")}</button>
        </form>
      )}
      <Success shown={ok}>{t("transferSent")}</Success>
    </AccountScreen>
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
  const { submit, error } = useSubmit(() => post<Withdrawal>("/api/v1/me/withdrawal"), setAnswer);
  const shown = answer ?? latest.data;
  return (
    <AccountScreen title={t("withdrawal")}>
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
          <Checkbox id="withdrawal-confirm" checked={confirmed} set={setConfirmed}>
            {t("withdrawalConfirm")}
          </Checkbox>
          <ProblemView error={error} />
          <button type="submit" disabled={!confirmed}>
            {t("withdrawalSubmit")}
          </button>
        </form>
      )}
    </AccountScreen>
  );
}
