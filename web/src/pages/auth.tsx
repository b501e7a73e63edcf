// Membership pages: registration, the verification link's page, login (with the
// operators' TOTP step), password reset and the contact-email change link.
import { useEffect, useState } from "preact/hooks";
import { api, login, loginTotp } from "../api";
import { checkCorporateNumber } from "../corporate-number";
import { t } from "../i18n";
import { Link, navigate, queryParam } from "../router";
import { Field, ProblemView } from "../ui";

type Form = Record<string, string>;

function useForm(initial: Form) {
  const [form, setForm] = useState<Form>(initial);
  const bind = (name: string) => ({
    id: name,
    name,
    value: form[name] ?? "",
    onInput: (event: Event) =>
      setForm((old) => ({ ...old, [name]: (event.target as HTMLInputElement).value })),
  });
  return { form, bind };
}

export function RegisterPage() {
  const { form, bind } = useForm({ entity_type: "corporation" });
  const [accept, setAccept] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const corporation = form.entity_type === "corporation";
  const cn = form.corporate_number ?? "";
  const cnState = cn ? checkCorporateNumber(cn) : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { ...form, accept_privacy_policy: accept };
    if (!corporation) delete body.corporate_number;
    try {
      await api("/api/v1/auth/register", { method: "POST", body });
      setDone(true);
    } catch (failure) {
      setError(failure);
    }
  };

  if (done) return <p role="status">{t("registered")}</p>;
  return (
    <form onSubmit={submit} class="form" aria-labelledby="register-heading">
      <h2 id="register-heading">{t("registerTitle")}</h2>
      <fieldset>
        <legend>{t("entityType")}</legend>
        {(["corporation", "sole_proprietor"] as const).map((value) => (
          <label key={value} class="choice">
            <input
              type="radio"
              name="entity_type"
              value={value}
              checked={form.entity_type === value}
              onChange={() => bind("entity_type").onInput({ target: { value } } as any)}
            />
            {value === "corporation" ? t("corporation") : t("soleProprietor")}
          </label>
        ))}
      </fieldset>
      <Field id="email" label={t("email")} required>
        <input type="email" autocomplete="email" required {...bind("email")} />
      </Field>
      <Field id="password" label={t("password")} hint={t("passwordHint")} required>
        <input
          type="password"
          autocomplete="new-password"
          minLength={12}
          required
          aria-describedby="password-hint"
          {...bind("password")}
        />
      </Field>
      <Field id="name" label={t("name")} required>
        <input autocomplete="name" required {...bind("name")} />
      </Field>
      <Field id="organization_name" label={t("organizationName")} required>
        <input autocomplete="organization" required {...bind("organization_name")} />
      </Field>
      {corporation && (
        <Field id="corporate_number" label={t("corporateNumber")} required>
          <input
            inputMode="numeric"
            maxLength={13}
            required
            aria-describedby="corporate_number-check"
            aria-invalid={cnState !== null && cnState !== "ok"}
            {...bind("corporate_number")}
          />
          <small id="corporate_number-check" class={`hint cn-${cnState ?? "empty"}`} aria-live="polite">
            {cnState === "ok" ? t("cnOk") : cnState === "length" ? t("cnLength") : cnState === "check" ? t("cnCheck") : ""}
          </small>
        </Field>
      )}
      <Field id="postal_code" label={t("postalCode")} required>
        <input autocomplete="postal-code" placeholder="100-0001" required {...bind("postal_code")} />
      </Field>
      <Field id="address" label={t("address")} required>
        <input autocomplete="street-address" required {...bind("address")} />
      </Field>
      <Field id="phone" label={t("phone")} required>
        <input type="tel" autocomplete="tel" required {...bind("phone")} />
      </Field>
      <label class="choice">
        <input
          type="checkbox"
          id="accept_privacy_policy"
          checked={accept}
          onChange={(event) => setAccept((event.target as HTMLInputElement).checked)}
        />
        {t("acceptPrivacy")} (<Link href="/privacy">{t("navPrivacy")}</Link>)
      </label>
      <ProblemView error={error} />
      <button type="submit">{t("submitRegister")}</button>
    </form>
  );
}

/** The page a one-time emailed link opens: POSTs its token to ``endpoint``. */
function TokenLinkPage(props: { endpoint: string; title: string; success: string }) {
  const token = queryParam("token");
  const [state, setState] = useState<"working" | "done">("working");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!token) return;
    api(props.endpoint, { method: "POST", body: { token } }).then(
      () => setState("done"),
      setError,
    );
  }, [token]);
  return (
    <section>
      <h2>{props.title}</h2>
      {!token ? (
        <p role="alert">{t("noToken")}</p>
      ) : error ? (
        <ProblemView error={error} />
      ) : state === "done" ? (
        <p role="status">
          {props.success} <Link href="/login">{t("navLogin")}</Link>
        </p>
      ) : (
        <p aria-busy="true">{t("verifying")}</p>
      )}
    </section>
  );
}

export const VerifyEmailPage = () => (
  <TokenLinkPage endpoint="/api/v1/auth/verify-email" title={t("verifyTitle")} success={t("verified")} />
);

export const EmailConfirmPage = () => (
  <TokenLinkPage endpoint="/api/v1/me/email/confirm" title={t("emailConfirmTitle")} success={t("emailConfirmed")} />
);

export function LoginPage() {
  const { form, bind } = useForm({});
  const [challenge, setChallenge] = useState<{ token: string; secret?: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const next = queryParam("next");
  const afterLogin = (ops: boolean) => navigate(next?.startsWith("/") ? next : ops ? "/ops" : "/me");

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      if (challenge) {
        await loginTotp(challenge.token, form.code ?? "");
        afterLogin(true);
        return;
      }
      const answer = await login(form.login_id ?? "", form.password ?? "");
      if ("access_token" in answer) afterLogin(false);
      else setChallenge({ token: answer.challenge_token, secret: answer.totp_enrollment?.secret });
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <form onSubmit={submit} class="form" aria-labelledby="login-heading">
      <h2 id="login-heading">{challenge ? t("totpTitle") : t("loginTitle")}</h2>
      {challenge ? (
        <>
          {challenge.secret && (
            <p>
              {t("totpEnroll")} <code id="totp-secret">{challenge.secret}</code>
            </p>
          )}
          <Field id="code" label={t("totpCode")} required>
            <input inputMode="numeric" autocomplete="one-time-code" pattern="\d{6}" required {...bind("code")} />
          </Field>
        </>
      ) : (
        <>
          <Field id="login_id" label={t("loginId")} required>
            <input type="email" autocomplete="username" required {...bind("login_id")} />
          </Field>
          <Field id="password" label={t("password")} required>
            <input type="password" autocomplete="current-password" required {...bind("password")} />
          </Field>
        </>
      )}
      <ProblemView error={error} />
      <button type="submit">{challenge ? t("submitTotp") : t("submitLogin")}</button>
      {!challenge && (
        <p>
          <Link href="/password-reset">{t("forgotPassword")}</Link>
        </p>
      )}
    </form>
  );
}

export function PasswordResetPage() {
  const { form, bind } = useForm({});
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await api("/api/v1/auth/password-reset", { method: "POST", body: { email: form.email } });
      setSent(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form onSubmit={submit} class="form">
      <h2>{t("resetTitle")}</h2>
      {sent ? (
        <p role="status">{t("resetSent")}</p>
      ) : (
        <>
          <Field id="email" label={t("email")} required>
            <input type="email" autocomplete="email" required {...bind("email")} />
          </Field>
          <ProblemView error={error} />
          <button type="submit">{t("resetSubmit")}</button>
        </>
      )}
    </form>
  );
}

export function PasswordResetConfirmPage() {
  const { form, bind } = useForm({});
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await api("/api/v1/auth/password-reset/confirm", {
        method: "POST",
        body: { token: queryParam("token"), new_password: form.new_password },
      });
      setDone(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form onSubmit={submit} class="form">
      <h2>{t("resetTitle")}</h2>
      {done ? (
        <p role="status">
          {t("resetDone")} <Link href="/login">{t("navLogin")}</Link>
        </p>
      ) : (
        <>
          <Field id="new_password" label={t("newPassword")} hint={t("passwordHint")} required>
            <input type="password" autocomplete="new-password" minLength={12} required {...bind("new_password")} />
          </Field>
          <ProblemView error={error} />
          <button type="submit">{t("save")}</button>
        </>
      )}
    </form>
  );
}
