// Small building blocks shared by the pages: the API's refusals, loading and
// submitting states, and the buttons of a row's actions.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";
import { t } from "./i18n";

/** An API refusal in the API's own words: its detail, then each field's message. */
export function ProblemView({ error }: { error: unknown }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <div class="problem" role="alert">
        {t("errorGeneric")}
      </div>
    );
  }
  const { problem } = error;
  const messages = (problem.errors ?? [])
    .map((e) => e.message)
    .filter((m): m is string => Boolean(m) && m !== problem.detail);
  return (
    <div class="problem" role="alert" data-code={problem.code}>
      <p>{problem.detail ?? problem.code}</p>
      {messages.length > 0 && (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What ``useLoad`` holds: the answer once it came, the refusal if one did, and how to ask again. */
export type Loaded<T> = { data: T | null; error: unknown; reload: () => void };
/** Loads ``load()`` once per ``deps`` change; ``reload`` asks again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then(
      (value) => live && setData(value),
      (failure) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { data, error, reload: () => setRound((n) => n + 1) };
}

/** The API's answer at ``path``, loaded again whenever the path changes. */
export function useApi<T>(path: string): Loaded<T> {
  return useLoad(() => api<T>(path), [path]);
}

/** Runs one call at a time, with its error, success and busy state. */
function useRunner() {
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(action: () => Promise<T>, done?: (answer: T) => void) => {
    setError(null);
    setOk(false);
    setBusy(true);
    try {
      const answer = await action();
      setOk(true);
      done?.(answer);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { run, error, ok, busy };
}

/** Runs ``action`` with an error and a success state for one form. */
export function useSubmit<T>(action: () => Promise<T>, done?: (answer: T) => void) {
  const { run, ...state } = useRunner();
  const submit = (event?: Event) => {
    event?.preventDefault();
    return run(action, done);
  };
  return { submit, ...state };
}

/** A row's actions: ``run(call)`` makes one call, then ``done``; they share one error. */
export function useActions(done?: () => void) {
  const { run, error, busy } = useRunner();
  return { run: (action: () => Promise<unknown>) => run(action, done), error, busy };
}

/** A button of a row's actions (``secondary`` for all but the main one). */
export function ActionButton(props: {
  onClick: () => void;
  secondary?: boolean;
  disabled?: boolean;
  children: ComponentChildren;
}) {
  return (
    <button
      type="button"
      class={props.secondary ? "secondary" : undefined}
      onClick={() => props.onClick()}
      disabled={props.disabled}
    >
      {props.children}
    </button>
  );
}

/** A form's success message, shown once ``shown`` is true. */
export function Success({ shown, children }: { shown: boolean; children: ComponentChildren }) {
  return shown ? (
    <p role="status" class="success">
      {children}
    </p>
  ) : null;
}

export function Loading({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  if (error) return <ProblemView error={error} />;
  return children ? <>{children}</> : <p aria-busy="true">{t("loading")}</p>;
}
