// Small building blocks shared by the pages.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";
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

type Loaded<T> = { data: T | null; error: unknown; reload: () => void };

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

/** Runs ``action`` with an error and a success state for one form. */
export function useSubmit<T>(action: () => Promise<T>, done?: (answer: T) => void) {
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (event?: Event) => {
    event?.preventDefault();
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
  return { submit, error, ok, busy };
}

export function Loading({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  if (error) return <ProblemView error={error} />;
  return children ? <>{children}</> : <p aria-busy="true">{t("loading")}</p>;
}

/** A labelled form row: the label names the control by id. */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  required?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id}>
        {props.label}
        {props.required && <span class="req"> ({t("required")})</span>}
      </label>
      {props.children}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}
