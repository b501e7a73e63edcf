// Every call to the gateway. The access token lives in this module's memory only;
// the refresh token is the identity service's HttpOnly cookie, which scripts can
// neither read nor write. A page load or an expired access token asks
// /auth/refresh, which needs the X-Requested-With header (identity's CSRF guard).

import { lang } from "./i18n";

export type FieldError = { field?: string; code: string; message?: string };
export type Problem = {
  status: number;
  code: string;
  detail?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
};

/** An API answer that is not a success: the problem details as the API worded them. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.code);
  }
}

export type Session = { roles: string[]; entityType: string | null; subject: string };

let accessToken: string | null = null;
let session: Session | null = null;
const listeners = new Set<() => void>();

export function currentSession(): Session | null {
  return session;
}

/** Calls ``listener`` whenever the session starts or ends; returns the unsubscribe. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function claims(token: string): Record<string, unknown> {
  // Display only (roles for the menu): the gateway verifies every token itself.
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

function startSession(token: string | null): void {
  accessToken = token;
  if (token) {
    const c = claims(token);
    session = {
      roles: (c.roles as string[]) ?? [],
      entityType: (c.entity_type as string) ?? null,
      subject: String(c.sub),
    };
  } else {
    session = null;
  }
  listeners.forEach((listener) => listener());
}

type Options = { method?: string; body?: unknown; headers?: Record<string, string> };

async function send(path: string, options: Options): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: "application/json, application/problem+json",
    "Accept-Language": lang(),
    ...options.headers,
  };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return fetch(path, { method: options.method ?? "GET", headers, body, credentials: "same-origin" });
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    return (await response.json()) as Problem;
  } catch {
    return { status: response.status, code: "http.error" };
  }
}

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh cookie for a new access token; false when there is no session. */
export function refresh(): Promise<boolean> {
  // Concurrent callers share one rotation: a second one would reuse a rotated token.
  refreshing ??= (async () => {
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "X-Requested-With": "bizmall", "Accept-Language": lang() },
      credentials: "same-origin",
    });
    if (!response.ok) {
      startSession(null);
      return false;
    }
    startSession(((await response.json()) as { access_token: string }).access_token);
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The raw response of an authenticated call, refreshed once on 401. */
export async function raw(path: string, options: Options = {}): Promise<Response> {
  let response = await send(path, options);
  if (response.status === 401 && accessToken && (await refresh())) {
    response = await send(path, options);
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  return response;
}

/** The JSON answer of a call (null for 202/204 without a body). */
export async function api<T = any>(path: string, options: Options = {}): Promise<T> {
  const response = await raw(path, options);
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** POSTs ``body`` (if any) to ``path``; the JSON answer. */
export function post<T = any>(path: string, body?: unknown): Promise<T> {
  return api<T>(path, { method: "POST", body });
}

export type LoginAnswer =
  | { access_token: string }
  | {
      mfa_required: true;
      challenge_token: string;
      totp_enrollment?: { secret: string; uri?: string };
    };

/** Password login; a member's session starts at once, an operator's after TOTP. */
export async function login(loginId: string, password: string): Promise<LoginAnswer> {
  const answer = await post<LoginAnswer>("/api/v1/auth/login", { login_id: loginId, password });
  if ("access_token" in answer) startSession(answer.access_token);
  return answer;
}

export async function loginTotp(challengeToken: string, code: string): Promise<void> {
  const answer = await post<{ access_token: string }>("/api/v1/auth/login/totp", {
    challenge_token: challengeToken,
    code,
  });
  startSession(answer.access_token);
}

export async function logout(): Promise<void> {
  try {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "X-Requested-With": "bizmall" },
      credentials: "same-origin",
    });
  } finally {
    startSession(null);
  }
}
