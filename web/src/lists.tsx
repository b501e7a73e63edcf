// Lists on the page: a loaded list as a table (or its empty state), and the
// definition lists of an item's terms.
import type { ComponentChildren } from "preact";
import { Loading, type Loaded } from "./ui";

/** A page of a list the API answers: ``{"items": [...]}``. */
export type List<T> = { items: T[] };

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

/** A loaded list: its loading and error states, then its table. */
export function ListTable<T>({ list, ...table }: { list: Loaded<List<T>> } & Omit<TableProps<T>, "items">) {
  return <Loading error={list.error}>{list.data && <Table items={list.data.items} {...table} />}</Loading>;
}
