// Pure helpers of the detail views: how numbers, times and payload values read, which payload URLs
// may become links, and the text of the commands and queries the views offer to copy or open.
// Nothing here touches the DOM, so every rule is unit-tested directly.
import type { JsonValue } from "../../api/types/serde_json/JsonValue";

/** `286 ms`, `1.5 s`, `27.5 s`, `2 min 05 s`; an em dash when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (Math.abs(seconds) < 60) return `${trimZeros(seconds.toFixed(1))} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return `${minutes} min ${String(rest).padStart(2, "0")} s`;
}

function trimZeros(text: string): string {
  return text.replace(/\.0$/, "");
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * A time as the reader's local `YYYY-MM-DD HH:MM:SS.mmm` (milliseconds only when not zero), from
 * Unix milliseconds or an ISO-8601 text. A text that does not parse is shown as sent.
 */
export function formatTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const ms = date.getMilliseconds();
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}` +
    (ms ? `.${String(ms).padStart(3, "0")}` : "")
  );
}

/** Only the date part of [`formatTime`]. */
export function formatDate(value: number | string | null | undefined): string {
  const text = formatTime(value);
  return /^\d{4}-\d\d-\d\d /.test(text) ? text.slice(0, 10) : text;
}

/** `1.2 KB` style sizes (1,024-based, as the receiver's limits are). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trimZeros((bytes / 1024).toFixed(1))} KB`;
  return `${trimZeros((bytes / 1024 / 1024).toFixed(1))} MB`;
}

/** A confidence in 0..1 as `0.87`; an em dash when unknown. */
export function formatConfidence(c: number | null | undefined): string {
  if (c === null || c === undefined || !Number.isFinite(c)) return "—";
  return c.toFixed(2);
}

/** A percentage with at most two decimals. */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "—";
  return `${Number(p.toFixed(2))} %`;
}

/** `yes` / `no` / `—`. */
export function yesNo(b: boolean | null | undefined): string {
  return b === null || b === undefined ? "—" : b ? "yes" : "no";
}

/** A JSON value as compact text; strings without their quotes when `bareStrings`. */
export function jsonText(value: JsonValue | undefined, bareStrings = false): string {
  if (value === undefined) return "";
  if (bareStrings && typeof value === "string") return value;
  return JSON.stringify(value);
}

/**
 * The URL itself when a payload URL may become a link or an image source: absolute, and `http:` or
 * `https:` only. `javascript:`, `data:`, `file:`, relative and unparsable URLs give `null` (the
 * views then show the text, never a link).
 */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  const trimmed = url.trim();
  // Must start with the scheme itself: `new URL` would strip leading control characters and
  // accept `\tjavascript:` spellings as something else entirely.
  if (!/^https?:\/\//i.test(trimmed)) return null;
  try {
    const parsed = new URL(trimmed);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A word for bash: single-quoted, each `'` written as `'\''`. Safe for any text without NUL. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Where `logbook serve` listens by default; the replay command posts there. */
export const DEFAULT_RECEIVER_URL = "http://127.0.0.1:7420";
/** The secret file the first `make run` creates. */
export const DEFAULT_SECRET_FILE = "~/.config/assistant-logbook/webhook-secret";

/**
 * A bash snippet that writes `body` to `body.json` and posts it, signed, to a local receiver on
 * the same path. The body is one single-quoted word given to `printf '%s'`, so nothing in it is
 * expanded, interpreted or run: not `$`, backticks, `\`, `%` or newlines. Events that did not come
 * over HTTP (`import`) have a file path as their path; they go to `/`.
 */
export function sendCommand(path: string, body: string, viaHttp = true): string {
  const urlPath = viaHttp && path.startsWith("/") ? path : "/";
  return [
    `printf '%s' ${shellQuote(body)} > body.json`,
    `logbook send --url ${shellQuote(DEFAULT_RECEIVER_URL + urlPath)} --secret-file ${DEFAULT_SECRET_FILE} body.json`,
  ].join("\n");
}

/** A custom-data value as `api.customCalls` and the query language take it: strings bare, others as JSON. */
export function customValueParam(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * `custom.KEY:VALUE` (or `custom.KEY:*` without a value) for the Calls list. A value with
 * whitespace or quotes, an empty one, or a literal `*` is double-quoted with `"` and `\` escaped, as
 * the query language reads it. `null` when the key itself cannot be written in a query (it holds
 * whitespace or `:`).
 */
export function customQuery(key: string, value?: string): string | null {
  if (!key || /[\s:]/.test(key)) return null;
  if (value === undefined) return `custom.${key}:*`;
  const needsQuotes = value === "" || value === "*" || /[\s"']/.test(value);
  const written = needsQuotes ? `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` : value;
  return `custom.${key}:${written}`;
}

/** Unix seconds (a JWT's `exp`, `iat`, `nbf`) as a local time, when the value is a number. */
export function formatUnixSeconds(value: JsonValue | undefined): string | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return formatTime(value * 1000);
}
