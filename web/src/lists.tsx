// Lists on the page: a loaded list as a table (or its empty state), a list paged
// through the API's ``next_cursor`` with a "more" button, and the definition lists
// of an item's terms.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { t } from "./i18n";
import { Loading, ProblemView, type Loaded } from "./ui";

/** A page of a list the API answers: ``{"items": [...]}``. */
export type List<T> = { items: T[] };

/** A page of a cursor-paged list: its items and the cursor of the next page (null at the end). */
export type Page<T> = { items: T[]; next_cursor?: string | null };

/** How many items a web list asks for at a time; the "more" button asks for the next page. */
export const PAGE_SIZE = 20;

/** ``path`` with ``cursor`` added to its query. */
export function withCursor(path: string, cursor: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
}

/** A list paged through ``next_cursor``: the items loaded so far, whether there are more, and how to load them. */
export type Paged<T> = Loaded<List<T>> & { more: (() => void) | null; busy: boolean };

/** The pages of ``path`` (null: nothing to load yet), the first at once and each next one on ``more()``. */
export function usePaged<T>(path: string | null): Paged<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setItems(null);
    setCursor(null);
    setError(null);
    if (path === null) return;
    api<Page<T>>(path).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.next_cursor ?? null);
      },
      (failure) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [path, round]);
  const more =
    path !== null && cursor
      ? () => {
          setBusy(true);
          api<Page<T>>(withCursor(path, cursor))
            .then(
              (page) => {
                setItems((old) => [...(old ?? []), ...page.items]);
                setCursor(page.next_cursor ?? null);
              },
              setError,
            )
            .finally(() => setBusy(false));
        }
      : null;
  return {
    data: items && { items },
    error,
    reload: () => setRound((n) => n + 1),
    more,
    busy,
  };
}

/** The "more" button under a paged list, while there are more pages. */
export function MoreButton({ more, busy }: { more: (() => void) | null; busy?: boolean }) {
  if (!more) return null;
  return (
    <p class="more">
      <button type="button" class="secondary" onClick={more} disabled={busy}>
        {t("more")}
      </button>
    </p>
  );
}

/** One row of a definition list: the term, its value and, if given, the value's class. */
export type Term = readonly [term: string, value: ComponentChildren, valueClass?: string];

/** A definition list of ``rows`` (false rows are left out); the site's "rules" layout by default. */
export function Terms({ rows, class: className = "rules" }: { rows: (Term | false | null)[]; class?: string }) {
  return (
    <dl class={className}>
      {rows
        .filter((row): row is Term => Boolean(row))
        .map(([term, value, valueClass]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd class={valueClass}>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

type TableProps<T> = {
  class: string;
  columns: ComponentChildren[];
  items: T[];
  /** The row of one item (a ``<tr>`` with its key). */
  row: (item: T) => ComponentChildren;
  /** Shown instead of the table when there are no items; without it the table is shown empty. */
  empty?: ComponentChildren;
};

/** A scrollable table of ``items`` under column headings. */
export function Table<T>({ class: className, columns, items, row, empty }: TableProps<T>) {
  if (!items.length && empty !== undefined) return <>{empty}</>;
  return (
    <div class="scroll">
      <table class={className}>
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={index} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{items.map(row)}</tbody>
      </table>
    </div>
  );
}

/** A loaded list: its loading and error states, then its table; a paged list (``usePaged``)
 * also its "more" button while there are more pages. */
export function ListTable<T>({ list, ...table }: { list: Loaded<List<T>> | Paged<T> } & Omit<TableProps<T>, "items">) {
  if ("more" in list) return <PagedTable list={list} {...table} />;
  return <Loading error={list.error}>{list.data && <Table items={list.data.items} {...table} />}</Loading>;
}

/** A paged list: its table of the items loaded so far, a refusal of a later page, and the "more" button. */
export function PagedTable<T>({ list, ...table }: { list: Paged<T> } & Omit<TableProps<T>, "items">) {
  if (!list.data) return <Loading error={list.error} />;
  return (
    <>
      <Table items={list.data.items} {...table} />
      <ProblemView error={list.error} />
      <MoreButton more={list.more} busy={list.busy} />
    </>
  );
}
