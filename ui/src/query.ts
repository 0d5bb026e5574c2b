// Helpers for the search language (src/query/parse.rs is the reference): building qualifier terms
// from facet clicks, completing qualifier names as the user types, and mapping the byte spans the
// core reports in `bad_query` errors onto the text on screen.
import type { TimeRange } from "./routes";

/**
 * Whitespace as the parser splits terms on (Rust's `char::is_whitespace`): JavaScript's `\s` plus
 * U+0085, which Rust counts and `\s` does not. (`\s` also has U+FEFF; quoting for it is harmless.)
 */
const WHITESPACE = /[\s\u0085]/;

/**
 * A value as the parser reads it back. Bare when that is unambiguous; otherwise in double quotes
 * with `"` and `\` escaped, since inside quotes the parser unescapes `\"` and `\\` (and keeps any
 * other backslash as is). Quoted: the empty value, whitespace, `"` (a leading one would open a
 * quote), `:`, and a lone `*` (which after `custom.KEY:` means "the key is present"). A backslash or
 * a leading `-` alone needs no quotes: a bare value is read as written, and `-` negates only at the
 * start of a term.
 */
export function quoteValue(value: string): string {
  if (value !== "" && value !== "*" && !WHITESPACE.test(value) && !/[":]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The one builder of a `KEY:VALUE` query term from a key and a value (facet clicks, custom-data
 * filters, "open matching list" links): `end_reason:failed`, `channel:"Web chat"`. `null` when the
 * value is empty: the parser rejects `key:""` ("empty value").
 */
export function queryTerm(key: string, value: string): string | null {
  if (value === "") return null;
  return `${key}:${quoteValue(value)}`;
}

/** Whether a custom-data key can be written in a query: not empty, no `:` and no whitespace. */
export function isQueryableCustomKey(key: string): boolean {
  return key !== "" && !key.includes(":") && !WHITESPACE.test(key);
}

/**
 * `custom.KEY:VALUE`, or `custom.KEY:*` for "the key is present" without a value (so a literal `*`
 * value is quoted). `null` when the key cannot be written in a query (see
 * [`isQueryableCustomKey`]) or the value is empty.
 */
export function customTerm(key: string, value?: string): string | null {
  if (!isQueryableCustomKey(key)) return null;
  if (value === undefined) return `custom.${key}:*`;
  return queryTerm(`custom.${key}`, value);
}

/** A facet value the core reports for rows without one; it cannot be searched for. */
export const NO_VALUE = "(none)";

/**
 * The term a click on a facet value adds: `end_reason:failed`, `channel:"Web chat"`,
 * `custom.<key>:*` (the custom facet lists keys). `null` when the value cannot be expressed.
 */
export function facetTerm(name: string, value: string): string | null {
  if (value === NO_VALUE) return null;
  // The custom facet counts keys.
  if (name === "custom") return customTerm(value);
  return queryTerm(name, value);
}

/** Splits a query into its terms the way the parser does (quotes keep spaces inside a term). */
export function splitTerms(query: string): string[] {
  const terms: string[] = [];
  let i = 0;
  while (i < query.length) {
    while (i < query.length && WHITESPACE.test(query[i])) i++;
    if (i >= query.length) break;
    const start = i;
    let inQuote = false;
    while (i < query.length) {
      const c = query[i];
      if (inQuote) {
        if (c === "\\" && (query[i + 1] === '"' || query[i + 1] === "\\")) i++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') {
        inQuote = true;
      } else if (WHITESPACE.test(c)) {
        break;
      }
      i++;
    }
    terms.push(query.slice(start, i));
  }
  return terms;
}

/** Whether `query` already holds `term` as one of its terms. */
export function hasTerm(query: string, term: string): boolean {
  return splitTerms(query).includes(term);
}

/** Adds `term` to the query, or removes it when it is there already (a facet click toggles). */
export function toggleTerm(query: string, term: string): string {
  const terms = splitTerms(query);
  if (terms.includes(term)) return terms.filter((t) => t !== term).join(" ");
  const base = query.trim();
  return base ? `${base} ${term}` : term;
}

/** The query sent to the core: what the user typed, plus the time range. */
export function effectiveQuery(q: string | undefined, range: TimeRange | undefined): string {
  const text = (q ?? "").trim();
  if (!range) return text;
  // Appended at the end, so the spans of errors in the typed part stay where they are.
  return text ? `${text} after:${range}` : `after:${range}`;
}

export interface QualifierHint {
  key: string;
  help: string;
}

export interface Completion {
  /** The range of the text (UTF-16 indices) that accepting a suggestion replaces. */
  start: number;
  end: number;
  items: QualifierHint[];
}

/** Whether `pos` is inside an open double quote. */
function insideQuote(text: string, pos: number): boolean {
  let open = false;
  for (let i = 0; i < pos; i++) {
    const c = text[i];
    if (open && c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
      i++;
    } else if (c === '"') {
      open = !open;
    }
  }
  return open;
}

/** The most suggestions shown at once. */
const MAX_SUGGESTIONS = 8;

/**
 * Qualifier suggestions for the word before the caret: typing `end` offers `end_reason:`;
 * `custom.ca` offers the custom keys (`customKeys`) that start with `ca`. A leading `-` is kept.
 * Null when there is nothing to offer (inside quotes, after a `:`, on an empty word).
 */
export function complete(
  text: string,
  caret: number,
  qualifiers: QualifierHint[],
  customKeys: string[] = [],
): Completion | null {
  if (caret < 0 || caret > text.length) return null;
  if (insideQuote(text, caret)) return null;
  let start = caret;
  while (start > 0 && !/\s/.test(text[start - 1])) start--;
  if (text[start] === "-") start++;
  const word = text.slice(start, caret);
  if (word === "" || /[:<>="]/.test(word)) return null;
  const lower = word.toLowerCase();
  const items: QualifierHint[] = [];
  if (lower.startsWith("custom.") && customKeys.length) {
    const prefix = word.slice("custom.".length);
    for (const key of customKeys) {
      if (key.startsWith(prefix) && !/[\s:]/.test(key)) {
        items.push({ key: `custom.${key}:`, help: "custom data key" });
      }
    }
  } else {
    for (const q of qualifiers) {
      const key = q.key.toLowerCase();
      if (key.startsWith(lower) && key !== lower) items.push(q);
    }
  }
  if (!items.length) return null;
  return { start, end: caret, items: items.slice(0, MAX_SUGGESTIONS) };
}

/** The qualifiers whose values the core lists for completion (`qualifier_values`). */
export const VALUE_KEYS = new Set([
  "intent", "action", "channel", "end_reason", "failure", "warning", "type", "entity", "endpoint",
  "failed", "transferred", "verified", "barge_in",
]);

/** The qualifier being given a value before the caret: `intent:pa` → key `intent`, prefix `pa`. */
export interface ValueContext {
  key: string;
  prefix: string;
  /** The range of the term (without a leading `-`) that accepting a value replaces. */
  start: number;
  end: number;
  /** The term as typed so far. */
  typed: string;
}

/**
 * Whether the caret is in the value of a qualifier whose values can be listed (`VALUE_KEYS`):
 * `intent:pa`, `channel:"web c`. Null otherwise.
 */
export function valueContext(text: string, caret: number): ValueContext | null {
  if (caret < 0 || caret > text.length) return null;
  let start = caret;
  // Inside an open quote the term started before it, spaces and all.
  if (insideQuote(text, caret)) start = text.lastIndexOf('"', caret - 1);
  while (start > 0 && !WHITESPACE.test(text[start - 1])) start--;
  if (text[start] === "-") start++;
  const m = /^([A-Za-z_]+):("?)([^"]*)$/.exec(text.slice(start, caret));
  if (!m || !VALUE_KEYS.has(m[1].toLowerCase())) return null;
  return { key: m[1].toLowerCase(), prefix: m[3], start, end: caret, typed: m[0] };
}

/** What the core knows of one value: its label (an intent's action title) and how often it occurs. */
export interface ValueSuggestion {
  value: string;
  label: string | null;
  count: number;
}

/**
 * The completion offering `values` for `context`: accepting one writes the whole term, quoted as
 * the parser needs (`channel:"Web chat"`), and a space after it.
 */
export function valueCompletion(context: ValueContext, values: ValueSuggestion[]): Completion | null {
  const items: QualifierHint[] = [];
  for (const v of values) {
    const term = queryTerm(context.key, v.value);
    // Nothing to offer for a value typed out in full: Enter then searches.
    if (term === null || term.toLowerCase() === context.typed.toLowerCase()) continue;
    const count = v.count > 0 ? `${v.count.toLocaleString("en-US")}×` : "";
    items.push({ key: `${term} `, help: [v.label, count].filter(Boolean).join(" · ") });
  }
  if (!items.length) return null;
  return { start: context.start, end: context.end, items: items.slice(0, MAX_SUGGESTIONS) };
}

/** The text after accepting `key` for `completion`, and where the caret goes. */
export function acceptCompletion(text: string, completion: Completion, key: string): { text: string; caret: number } {
  const next = text.slice(0, completion.start) + key + text.slice(completion.end);
  return { text: next, caret: completion.start + key.length };
}

/**
 * Maps a byte range of the UTF-8 encoding of `text` (what the core reports) onto UTF-16 indices
 * (what JavaScript strings use), clamped to the text. Offsets inside a character snap outward.
 */
export function byteSpanToIndices(text: string, span: [number, number]): [number, number] {
  const [byteStart, byteEnd] = span[0] <= span[1] ? span : [span[1], span[0]];
  let bytes = 0;
  let start = -1;
  let end = -1;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (start < 0 && bytes + width > byteStart) start = i;
    if (end < 0 && bytes >= byteEnd) end = i;
    bytes += width;
    i += units;
  }
  if (start < 0) start = text.length;
  if (end < 0) end = text.length;
  return [start, Math.max(start, end)];
}

/** The text cut in three around the error span: before, the offending part, after. */
export function splitAtSpan(text: string, span: [number, number] | null): [string, string, string] {
  if (!span) return [text, "", ""];
  const [s, e] = byteSpanToIndices(text, span);
  return [text.slice(0, s), text.slice(s, e), text.slice(e)];
}
