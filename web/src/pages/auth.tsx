import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, login, loginTotp, post } from "../api";
import { checkCorporateNumber } from "../corporate-number";
import { t } from "../i18n";
import { Link, navigate, queryParam } from "../router";
import { Checkbox, InputField, useForm } from "../forms";
import { ProblemView, Success, useSubmit } from "../ui";

type Form = Record<string, string>;

/** An email field, as browsers and password managers recognise it. */
export const EMAIL = { type: "email", autocomplete: "email" } as const;

/** The field of the password in use. */
export const CURRENT_PASSWORD = { type: "password", autocomplete: "current-password" } as const;

/** The field of a new password: the identity service's minimum length, and the hint that says so. */
export function newPassword() {
  return { type: "password", autocomplete: "new-password", minLength: 12, hint: t("passwordHint") } as const;
}

export function RegisterPage() {
  const { form, set, bind } = useForm<Form>({ entity_type: "corporation" });
  const [accept, setAccept] = useState(false);
  const corporation = form.entity_type === "corporation";
  const cn = form.corporate_number ?? "";
  const cnState = cn ? checkCorporateNumber(cn) : null;
  const { submit, error, ok } = useSubmit(() => {
    const body: Record<string, unknown> = { ...form, accept_privacy_policy: accept };
    if (!corporation) delete body.corporate_number;
    // The optional kana reading and department (R5) are left out when not given.
    for (const optional of ["name_kana", "department"]) {
      if (!String(body[optional] ?? "").trim()) delete body[optional];
    }
    return post("/api/v1/auth/register", body);
  });

  if (ok) return <p role="status">{t("registered")}</p>;
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
              onChange={() => set("entity_type", value)}
            />
            {value === "corporation" ? t("corporation") : t("soleProprietor")}
          </label>
        ))}
      </fieldset>
      <InputField label={t("email")} required {...EMAIL} {...bind("email")} />
      <InputField label={t("password")} required {...newPassword()} {...bind("password")} />
      <InputField label={t("name")} autocomplete="name" required {...bind("name")} />
      <InputField label={t("nameKana")} hint={t("nameKanaHint")} maxLength={200} {...bind("name_kana")} />
      <InputField label={t("organizationName")} autocomplete="organization" required {...bind("organization_name")} />
      <InputField label={t("department")} hint={t("optionalField")} maxLength={200} {...bind("department")} />
      {corporation && (
        <InputField
          label={t("corporateNumber")}
          inputMode="numeric"
          maxLength={13}
          required
          aria-describedby="corporate_number-check"
          aria-invalid={cnState !== null && cnState !== "ok"}
          {...bind("corporate_number")}
        >
          <small id="corporate_number-check" class={`hint cn-${cnState ?? "empty"}`} aria-live="polite">
            {cnState === "ok" ? t("cnOk") : cnState === "length" ? t("cnLength") : cnState === "check" ? t("cnCheck") : ""}
          </small>
        </InputField>
      )}
      <InputField label={t("postalCode")} autocomplete="postal-code" placeholder="100-0001" required {...bind("postal_code")} />
      <InputField label={t("address")} autocomplete="street-address" required {...bind("address")} />
      <InputField label={t("phone")} type="tel" autocomplete="tel" required {...bind("phone")} />
      <Checkbox id="accept_privacy_policy" checked={accept} set={setAccept}>
        {t("acceptPrivacy")} (<Link href="/privacy">{t("navPrivacy")}</Link>)
      </Checkbox>
      <ProblemView error={error} />
      <button type="submit">{t("submitRegister")}</button>
    </form>
  );
}

/** Whether a refusal offers a new verification link (an expired or used link, or a
 * login before verifying: the problem names the re-send path, R6). */
function offersResend(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (typeof error.problem.resend === "string" || error.problem.code === "auth.email_unverified")
  );
}

/** Asks for a new verification link for an address; the answer never tells whether the
 * address is registered (R10), so the same words follow every request. */
export function ResendVerification({ email = "" }: { email?: string }) {
  const [address, setAddress] = useState(email);
  const { submit, error, ok, busy } = useSubmit(() => post("/api/v1/auth/verify-email/resend", { email: address }));
  return (
    <form class="form resend" onSubmit={submit} aria-labelledby="resend-heading">
      <h3 id="resend-heading">{t("resendTitle")}</h3>
      <p class="hint">{t("resendHint")}</p>
      <InputField id="resend-email" label={t("resendEmail")} required {...EMAIL} value={address} set={setAddress} />
      <ProblemView error={error} />
      <Success shown={ok}>{t("resendSent")}</Success>
      <button type="submit" disabled={busy}>
        {t("resendSubmit")}
      </button>
    </form>
  );
}

/** The page a one-time emailed link opens: POSTs its token to ``endpoint``; with ``resend``
 * a refused link offers a new one. */
function TokenLinkPage(props: { endpoint: string; title: string; success: string; resend?: boolean }) {
  const token = queryParam("token");
  const [state, setState] = useState<"working" | "done">("working");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!token) return;
    post(props.endpoint, { token }).then(
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
        <>
          <ProblemView error={error} />
          {props.resend && offersResend(error) && <ResendVerification />}
        </>
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
  <TokenLinkPage endpoint="/api/v1/auth/verify-email" title={t("verifyTitle")} success={t("verified")} resend />
);

export const EmailConfirmPage = () => (
  <TokenLinkPage endpoint="/api/v1/me/email/confirm" title={t("emailConfirmTitle")} success={t("emailConfirmed")} />
);

export function LoginPage() {
  const { form, bind } = useForm<Form>({});
  const [challenge, setChallenge] = useState<{ token: string; secret?: string; qr?: string } | null>(null);
  const next = queryParam("next");
  const afterLogin = (ops: boolean) => navigate(next?.startsWith("/") ? next : ops ? "/ops" : "/me");
  const { submit, error } = useSubmit(async () => {
    if (challenge) {
      await loginTotp(challenge.token, form.code ?? "");
      afterLogin(true);
      return;
    }
    const answer = await login(form.login_id ?? "", form.password ?? "");
    if ("access_token" in answer) afterLogin(false);
    else {
      const enrollment = answer.totp_enrollment;
      setChallenge({ token: answer.challenge_token, secret: enrollment?.secret, qr: enrollment?.qr_code });
    }
  });

  const loginForm = (
    <form onSubmit={submit} class="form" aria-labelledby="login-heading">
      <h2 id="login-heading">{challenge ? t("totpTitle") : t("loginTitle")}</h2>
      {challenge ? (
        <>
          {challenge.secret && (
            <div class="totp-enrollment">
              {challenge.qr?.startsWith("data:image/") && (
                <>
                  <p>{t("totpScan")}</p>
                  <img id="totp-qr" class="totp-qr" src={challenge.qr} alt={t("totpQrAlt")} width={200} height={200} />
                </>
              )}
              <p>
                {t("totpEnroll")} <code id="totp-secret">{challenge.secret}</code>
              </p>
            </div>
          )}
          <InputField
            label={t("totpCode")}
            inputMode="numeric"
            autocomplete="one-time-code"
            pattern="\d{6}"
            required
            {...bind("code")}
          />
        </>
      ) : (
        <>
          <InputField label={t("loginId")} type="email" autocomplete="username" required {...bind("login_id")} />
          <InputField label={t("password")} required {...CURRENT_PASSWORD} {...bind("password")} />
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
  // A login refused before the address is verified offers a new link at once (R6).
  return offersResend(error) && !challenge ? (
    <>
      {loginForm}
      <ResendVerification key={form.login_id} email={form.login_id ?? ""} />
    </>
  ) : (
    loginForm
  );
}

/** A step of the password reset: its field, then what happened once ``action`` succeeded. */
function ResetStep(props: {
  action: () => Promise<unknown>;
  done: ComponentChildren;
  submitLabel: string;
  children: ComponentChildren;
}) {
  const { submit, error, ok } = useSubmit(props.action);
  return (
    <form onSubmit={submit} class="form">
      <h2>{t("resetTitle")}</h2>
      {ok ? (
        <p role="status">{props.done}</p>
      ) : (
        <>
          {props.children}
          <ProblemView error={error} />
          <button type="submit">{props.submitLabel}</button>
        </>
      )}
    </form>
  );
}

export function PasswordResetPage() {
  const { form, bind } = useForm<Form>({});
  return (
    <ResetStep
      action={() => post("/api/v1/auth/password-reset", { email: form.email })}
      done={t("resetSent")}
      submitLabel={t("resetSubmit")}
    >
      <InputField label={t("email")} required {...EMAIL} {...bind("email")} />
    </ResetStep>
  );
}

export function PasswordResetConfirmPage() {
  const { form, bind } = useForm<Form>({});
  return (
    <ResetStep
      action={() =>
        post("/api/v1/auth/password-reset/confirm", { token: queryParam("token"), new_password: form.new_password })
      }
      done={
        <>
          {t("resetDone")} <Link href="/login">{t("navLogin")}</Link>
        </>
      }
      submitLabel={t("save")}
    >
      <InputField label={t("newPassword")} required {...newPassword()} {...bind("new_password")} />
    </ResetStep>
  );
}
