// Where a free-text search matched a row: the snippet the core cut, its matched words in <mark>.
// The segments are payload text and are rendered as React text, never as HTML.
import { Fragment } from "react";
import type { Hit } from "../api/types/Hit";
import type { Column } from "./VirtualList";
import { splitTerms } from "../query";

export function HitSnippet({ hit }: { hit: Hit }) {
  return (
    <span className="hit-snippet" data-testid="hit-snippet">
      {hit.segments.map((s, i) =>
        s.hit ? <mark key={i}>{s.text}</mark> : <Fragment key={i}>{s.text}</Fragment>,
      )}
    </span>
  );
}

/** The snippet as plain text (a cell's tooltip). */
export function hitText(hit: Hit | undefined): string | undefined {
  return hit ? hit.segments.map((s) => s.text).join("") : undefined;
}

/**
 * Whether a query has free text that rows can match (a word or phrase that is not a `key:value`
 * qualifier and not negated): then the lists show where each row matched.
 */
export function hasFreeText(query: string | undefined): boolean {
  return splitTerms(query ?? "").some((t) => !t.startsWith("-") && !/^[a-z_]+:/i.test(t) && t.replace(/"/g, "").trim() !== "");
}

/** The list column that shows each row's hit. */
export function matchColumn<T extends { hit?: Hit }>(): Column<T> {
  return {
    title: "Match",
    min: 300, ideal: 420, grow: 2, priority: 1,
    render: (r) => (r.hit ? <HitSnippet hit={r.hit} /> : ""),
    title_: (r) => hitText(r.hit),
  };
}

/** A list's columns, with the match column after the first `at` when the query has free text. */
export function withMatch<T extends { hit?: Hit }>(columns: Column<T>[], query: string | undefined, at: number): Column<T>[] {
  if (!hasFreeText(query)) return columns;
  return [...columns.slice(0, at), matchColumn<T>(), ...columns.slice(at)];
}
