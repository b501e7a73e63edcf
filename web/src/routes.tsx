// Every page of the site in one table: its path (``:name`` matches one segment and is
// handed to the page), who may open it, and the page. A new page is one more row.
//
// Access: ``public`` pages open for anyone; ``member`` pages need a session (a login
// link otherwise); ``ops`` pages need an operator's session (the ops role). The API
// checks every call again: the table only decides what the client shows.
import type { JSX } from "preact";
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
import { OpsOperatorsPage } from "./pages/ops-operators";
import { OpsStatementPage, OpsStatementsPage } from "./pages/ops-statements";
import { OpsCollectionBatchPage, OpsCollectionPage } from "./pages/ops-collection";
import { OpsInvoicePage } from "./pages/ops-invoice";
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
import { HelpPage } from "./pages/help";
import { PrivacyPage, ServicePage, TopPage } from "./pages/public";

/** Who may open a page. */
export type Access = "public" | "member" | "ops";

/** What a page is given: the path's ``:name`` segments, and whether a session is open. */
export type PageProps = { params: Record<string, string>; loggedIn: boolean };

export type Route = { path: string; access: Access; page: (props: PageProps) => JSX.Element };

/** The site's pages. Paths are exact; ``:id`` is one path segment. */
export const ROUTES: Route[] = [
  // Public pages.
  { path: "/", access: "public", page: () => <TopPage /> },
  { path: "/services/:id", access: "public", page: ({ params, loggedIn }) => <ServicePage id={params.id} loggedIn={loggedIn} /> },
  { path: "/help", access: "public", page: () => <HelpPage /> },
  { path: "/privacy", access: "public", page: () => <PrivacyPage /> },
  { path: "/register", access: "public", page: () => <RegisterPage /> },
  { path: "/verify-email", access: "public", page: () => <VerifyEmailPage /> },
  { path: "/login", access: "public", page: () => <LoginPage /> },
  { path: "/password-reset", access: "public", page: () => <PasswordResetPage /> },
  { path: "/password-reset/confirm", access: "public", page: () => <PasswordResetConfirmPage /> },
  // The confirmation link of a new contact email works without a session (another device).
  { path: "/me/email/confirm", access: "public", page: () => <EmailConfirmPage /> },
  // The member's pages.
  { path: "/me", access: "member", page: () => <MyPage /> },
  { path: "/me/profile", access: "member", page: () => <ProfilePage /> },
  { path: "/me/password", access: "member", page: () => <PasswordPage /> },
  { path: "/me/identity-documents", access: "member", page: () => <DocumentsPage /> },
  { path: "/me/withdrawal", access: "member", page: () => <WithdrawalPage /> },
  { path: "/billing/account", access: "member", page: () => <PaymentPage /> },
  { path: "/services/:id/order", access: "member", page: ({ params }) => <OrderPage id={params.id} /> },
  { path: "/orders", access: "member", page: () => <OrdersPage /> },
  { path: "/orders/:id", access: "member", page: ({ params }) => <OrderDetailPage id={params.id} /> },
  { path: "/contracts", access: "member", page: () => <ContractsPage /> },
  { path: "/contracts/:id", access: "member", page: ({ params }) => <ContractPage id={params.id} /> },
  { path: "/invoices", access: "member", page: () => <InvoicesPage /> },
  { path: "/invoices/:id", access: "member", page: () => <InvoicesPage /> },
  { path: "/inquiries", access: "member", page: () => <InquiriesPage /> },
  { path: "/inquiries/new", access: "member", page: () => <InquiryPage /> },
  { path: "/inquiries/:id", access: "member", page: ({ params }) => <InquiryDetailPage id={params.id} /> },
  // The ops console.
  { path: "/ops", access: "ops", page: () => <OpsPage /> },
  { path: "/ops/billing", access: "ops", page: () => <OpsBillingPage /> },
  { path: "/ops/billing/invoices/:id", access: "ops", page: ({ params }) => <OpsInvoicePage key={params.id} id={params.id} /> },
  { path: "/ops/catalog", access: "ops", page: () => <OpsCatalogPage /> },
  { path: "/ops/catalog/:id", access: "ops", page: ({ params }) => <OpsServicePage id={params.id} /> },
  { path: "/ops/documents", access: "ops", page: () => <OpsDocumentsPage /> },
  { path: "/ops/transfers", access: "ops", page: () => <OpsTransfersPage /> },
  { path: "/ops/notices", access: "ops", page: () => <OpsNoticesPage /> },
  { path: "/ops/inquiries", access: "ops", page: () => <OpsInquiriesPage /> },
  { path: "/ops/inquiries/:id", access: "ops", page: ({ params }) => <OpsInquiryPage id={params.id} /> },
  { path: "/ops/dead-letters", access: "ops", page: () => <OpsDeadLettersPage /> },
  { path: "/ops/customers", access: "ops", page: () => <OpsCustomersPage /> },
  { path: "/ops/customers/:id", access: "ops", page: ({ params }) => <OpsCustomerPage key={params.id} id={params.id} /> },
  { path: "/ops/orders/:id", access: "ops", page: ({ params }) => <OpsOrderPage id={params.id} /> },
  { path: "/ops/contracts/:id", access: "ops", page: ({ params }) => <OpsContractPage id={params.id} /> },
  { path: "/ops/withdrawals", access: "ops", page: () => <OpsWithdrawalsPage /> },
  { path: "/ops/audit", access: "ops", page: () => <OpsAuditPage /> },
  { path: "/ops/operators", access: "ops", page: () => <OpsOperatorsPage /> },
  { path: "/ops/statements", access: "ops", page: () => <OpsStatementsPage /> },
  { path: "/ops/statements/:id", access: "ops", page: ({ params }) => <OpsStatementPage key={params.id} id={params.id} /> },
  { path: "/ops/collection", access: "ops", page: () => <OpsCollectionPage /> },
  { path: "/ops/collection/:id", access: "ops", page: ({ params }) => <OpsCollectionBatchPage key={params.id} id={params.id} /> },
];

/** ``pattern``'s ``:name`` segments in ``path``, or null when the path is another. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(":")) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

/** The route ``path`` opens and its parameters, or null (no such page). A literal
 * segment wins over a ``:name`` one (``/inquiries/new`` before ``/inquiries/:id``). */
export function findRoute(path: string): { route: Route; params: Record<string, string> } | null {
  let found: { route: Route; params: Record<string, string> } | null = null;
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params === null) continue;
    if (found === null || Object.keys(params).length < Object.keys(found.params).length) found = { route, params };
  }
  return found;
}

/** The access an unknown path under a member's or ops' area would need (its login link). */
export function areaAccess(path: string): Access {
  if (path === "/ops" || path.startsWith("/ops/")) return "ops";
  return /^\/(me|orders|contracts|invoices|inquiries|billing)(\/|$)/.test(path) ? "member" : "public";
}
