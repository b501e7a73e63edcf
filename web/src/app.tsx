// The shell: header with navigation and the language switch, and the routes.
import { useEffect, useState } from "preact/hooks";
import { currentSession, logout, onSessionChange } from "./api";
import { lang, setLang, t } from "./i18n";
import {
  EmailConfirmPage,
  LoginPage,
  PasswordResetConfirmPage,
  PasswordResetPage,
  RegisterPage,
  VerifyEmailPage,
} from "./pages/auth";
import { DocumentsPage, PasswordPage, PaymentPage, ProfilePage, WithdrawalPage } from "./pages/account";
import {
  ContractPage,
  ContractsPage,
  InquiriesPage,
  InquiryDetailPage,
  InquiryPage,
  InvoicesPage,
  MyPage,
  OrderDetailPage,
  OrdersPage,
} from "./pages/member";
import { OpsBillingPage, OpsPage } from "./pages/ops";
import { OpsAuditPage } from "./pages/ops-audit";
import { OpsCatalogPage, OpsServicePage } from "./pages/ops-catalog";
import {
  OpsContractPage,
  OpsCustomerPage,
  OpsCustomersPage,
  OpsOrderPage,
  OpsWithdrawalsPage,
} from "./pages/ops-customers";
import {
  OpsDeadLettersPage,
  OpsDocumentsPage,
  OpsInquiriesPage,
  OpsInquiryPage,
  OpsNoticesPage,
  OpsTransfersPage,
} from "./pages/ops-desk";
import { OrderPage } from "./pages/order";
import { HelpPage, PrivacyPage, ServicePage, TopPage } from "./pages/public";
import { Link, navigate, onNavigate } from "./router";

/** Pages that need a member (or operator) session. */
const MEMBER_PAGES = [
  /^\/me(\/|$)/,
  /^\/orders/,
  /^\/contracts/,
  /^\/invoices/,
  /^\/inquiries/,
  /^\/billing/,
  /^\/ops(\/|$)/,
  /^\/services\/[^/]+\/order$/,
];

function opsRoute(path: string) {
  let match: RegExpMatchArray | null;
  if (path === "/ops") return <OpsPage />;
  if (path === "/ops/billing") return <OpsBillingPage />;
  if (path === "/ops/catalog") return <OpsCatalogPage />;
  if ((match = path.match(/^\/ops\/catalog\/([^/]+)$/))) return <OpsServicePage id={match[1]} />;
  if (path === "/ops/documents") return <OpsDocumentsPage />;
  if (path === "/ops/transfers") return <OpsTransfersPage />;
  if (path === "/ops/notices") return <OpsNoticesPage />;
  if (path === "/ops/inquiries") return <OpsInquiriesPage />;
  if ((match = path.match(/^\/ops\/inquiries\/([^/]+)$/))) return <OpsInquiryPage id={match[1]} />;
  if (path === "/ops/dead-letters") return <OpsDeadLettersPage />;
  if (path === "/ops/customers") return <OpsCustomersPage />;
  if ((match = path.match(/^\/ops\/customers\/([^/]+)$/))) return <OpsCustomerPage key={match[1]} id={match[1]} />;
  if ((match = path.match(/^\/ops\/orders\/([^/]+)$/))) return <OpsOrderPage id={match[1]} />;
  if ((match = path.match(/^\/ops\/contracts\/([^/]+)$/))) return <OpsContractPage id={match[1]} />;
  if (path === "/ops/withdrawals") return <OpsWithdrawalsPage />;
  if (path === "/ops/audit") return <OpsAuditPage />;
  return <p role="alert">{t("notFound")}</p>;
}

function route(path: string, loggedIn: boolean, ops: boolean) {
  let match: RegExpMatchArray | null;
  if (path === "/") return <TopPage />;
  if ((match = path.match(/^\/services\/([^/]+)$/))) return <ServicePage id={match[1]} loggedIn={loggedIn} />;
  if (path === "/help") return <HelpPage />;
  if (path === "/privacy") return <PrivacyPage />;
  if (path === "/register") return <RegisterPage />;
  if (path === "/verify-email") return <VerifyEmailPage />;
  if (path === "/login") return <LoginPage />;
  if (path === "/password-reset") return <PasswordResetPage />;
  if (path === "/password-reset/confirm") return <PasswordResetConfirmPage />;
  // The confirmation link of a new contact email works without a session (another device).
  if (path === "/me/email/confirm") return <EmailConfirmPage />;
  if (MEMBER_PAGES.some((page) => page.test(path)) && !loggedIn) {
    return (
      <p>
        <Link href={`/login?next=${encodeURIComponent(path + location.search)}`}>{t("needLogin")}</Link>
      </p>
    );
  }
  if (path === "/ops" || path.startsWith("/ops/")) return ops ? opsRoute(path) : <p role="alert">{t("opsOnly")}</p>;
  if (path === "/me") return <MyPage />;
  if (path === "/me/profile") return <ProfilePage />;
  if (path === "/me/password") return <PasswordPage />;
  if (path === "/me/identity-documents") return <DocumentsPage />;
  if (path === "/me/withdrawal") return <WithdrawalPage />;
  if (path === "/billing/account") return <PaymentPage />;
  if ((match = path.match(/^\/services\/([^/]+)\/order$/))) return <OrderPage id={match[1]} />;
  if (path === "/orders") return <OrdersPage />;
  if ((match = path.match(/^\/orders\/([^/]+)$/))) return <OrderDetailPage id={match[1]} />;
  if (path === "/contracts") return <ContractsPage />;
  if ((match = path.match(/^\/contracts\/([^/]+)$/))) return <ContractPage id={match[1]} />;
  if (path === "/invoices" || path.startsWith("/invoices/")) return <InvoicesPage />;
  if (path === "/inquiries") return <InquiriesPage />;
  if (path === "/inquiries/new") return <InquiryPage />;
  if ((match = path.match(/^\/inquiries\/([^/]+)$/))) return <InquiryDetailPage id={match[1]} />;
  return <p role="alert">{t("notFound")}</p>;
}

export function App({ ready }: { ready: boolean }) {
  const [, setLangState] = useState(lang());
  const [path, setPath] = useState(location.pathname);
  const [, setSessionRound] = useState(0);
  useEffect(() => onNavigate(() => setPath(location.pathname)), []);
  useEffect(() => onSessionChange(() => setSessionRound((n) => n + 1)), []);
  const session = currentSession();
  const ops = session?.roles.includes("ops") ?? false;
  const switchLang = () => {
    const next = lang() === "ja" ? "en" : "ja";
    setLang(next);
    setLangState(next);
  };
  const signOut = async () => {
    await logout();
    navigate("/");
  };
  return (
    <>
      <a class="skip" href="#main">
        {t("skipToContent")}
      </a>
      <header>
        <h1>
          <Link href="/">{t("siteName")}</Link>
        </h1>
        <nav aria-label="main">
          <Link href="/">{t("navHome")}</Link>
          <Link href="/help">{t("navHelp")}</Link>
          {session ? (
            <>
              {ops ? <Link href="/ops">{t("navOps")}</Link> : <Link href="/me">{t("navMyPage")}</Link>}
              <button type="button" class="link" onClick={signOut}>
                {t("navLogout")}
              </button>
            </>
          ) : (
            <>
              <Link href="/login">{t("navLogin")}</Link>
              <Link href="/register">{t("navRegister")}</Link>
            </>
          )}
          <button type="button" class="lang" lang={lang() === "ja" ? "en" : "ja"} onClick={switchLang} title={t("language")}>
            {t("switchLang")}
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {ready ? route(path, session !== null, ops) : <p aria-busy="true">{t("loading")}</p>}
      </main>
      <footer>
        <Link href="/privacy">{t("navPrivacy")}</Link>
      </footer>
    </>
  );
}
