// Formatting numbers, times and payload values for display, and the text of the commands the views
// offer to copy. Everything returns plain text: React renders it as text, never as markup. Nothing
// here touches the DOM, so every rule is unit-tested directly (format.test.ts).
import type { JsonValue } from "./api/types/serde_json/JsonValue";
import type { ForwardingState } from "./api/types/ForwardingState";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function trimZeros(text: string): string {
  return text.replace(/\.0$/, "");
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** `YYYY-MM-DD HH:MM:SS` of `d` in local time. */
function dateTimeText(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `2026-03-10 15:30:02` in local time; empty when unknown (for list cells). */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  return dateTimeText(new Date(ms));
}

/** `15:30:02.123` today, the full date and time otherwise (local time); empty when unknown. */
export function formatTime(ms: number | null | undefined, now: Date = new Date()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const d = new Date(ms);
  if (sameDay(d, now)) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return formatDateTime(ms);
}

/**
 * A time as the reader's local `YYYY-MM-DD HH:MM:SS.mmm` (milliseconds only when not zero), from
 * Unix milliseconds or an ISO-8601 text; an em dash when unknown. A text that does not parse is
 * shown as sent. (The detail views' timestamps.)
 */
export function formatTimestamp(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const ms = date.getMilliseconds();
  return dateTimeText(date) + (ms ? `.${pad(ms, 3)}` : "");
}

/** Only the date part of [`formatTimestamp`]. */
export function formatDate(value: number | string | null | undefined): string {
  const text = formatTimestamp(value);
  return /^\d{4}-\d\d-\d\d /.test(text) ? text.slice(0, 10) : text;
}

/** Unix seconds (a JWT's `exp`, `iat`, `nbf`) as a local time, when the value is a number. */
export function formatUnixSeconds(value: JsonValue | undefined): string | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return formatTimestamp(value * 1000);
}

/** A call's length in a list column: `850 ms`, `12.3 s`, `4m 05s`, `1h 02m`; empty when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h ? `${h}h ${pad(m)}m` : `${m}m ${pad(sec)}s`;
}

/** How far a rebuild of the derived rows has come, in whole percent: `done` of `target` event ids. */
export function rebuildShare(done: number, target: number): number {
  return target > 0 ? Math.min(100, Math.floor((done / target) * 100)) : 0;
}

/**
 * A latency or duration: `286 ms`, `1.5 s`, `20 s`, `27.5 s`, `2 min 05 s`; an em dash when
 * unknown. Rounding never shows `1000 ms` or `60 s`: those read `1 s` and `1 min 00 s`.
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 0) return `-${formatMs(-ms)}`;
  const whole = Math.round(ms);
  if (whole < 1000) return `${whole} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${trimZeros((tenths / 10).toFixed(1))} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
}

/** `512 B`, `2 KB`, `1.5 KB`, `10 MB`, `3.2 GB` (1,024-based, as the receiver's limits are); empty when unknown. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trimZeros(v.toFixed(1))} ${units[i]}`;
}

/** An end reason (`caller_hangup`) as words (`caller hangup`); empty when unknown. */
export function formatEndReason(reason: string | null | undefined): string {
  return (reason ?? "").replace(/_/g, " ");
}

/** `12,345`. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  return n.toLocaleString("en-US");
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

/**
 * A JSON value as compact one-line text; strings without their quotes when `bareStrings` (which is
 * also how `api.customCalls` and the query language take a custom-data value).
 */
export function jsonText(value: JsonValue | undefined, bareStrings = false): string {
  if (value === undefined) return "";
  if (bareStrings && typeof value === "string") return value;
  return JSON.stringify(value);
}

/**
 * The URL itself when a payload URL may become a link or an image source: absolute, and `http:` or
 * `https:` only. `javascript:`, `data:`, `file:`, relative and unparsable URLs give `null` (the
 * views then show the text, never a link). Use with `target="_blank" rel="noopener noreferrer"`.
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

/** An event's forwarding in a list row: a word or two, its tone, and the whole story for a tooltip. */
export function formatForwarding(
  f: ForwardingState | null | undefined,
  now: Date = new Date(),
): { text: string; tone: "delivered" | "retrying" | "gave-up"; title: string } | null {
  if (!f) return null;
  const total = f.delivered + f.pending + f.gave_up;
  const of = total > 1 ? ` (${f.delivered} of ${total} delivered)` : "";
  const attempts = `${formatCount(f.attempts)} ${f.attempts === 1 ? "attempt" : "attempts"}`;
  if (f.gave_up > 0) {
    return { text: "gave up", tone: "gave-up", title: `Forwarding gave up on ${f.gave_up} of ${total} downstreams after ${attempts}${of}` };
  }
  if (f.pending > 0) {
    if (f.attempts === 0 || f.next_at === null) return { text: "queued", tone: "retrying", title: `Forwarding queued${of}` };
    const next = formatTime(f.next_at, now).replace(/\.\d+$/, "");
    return { text: `retry ${next}`, tone: "retrying", title: `Forwarding: next attempt at ${formatTimestamp(f.next_at)}, ${attempts} so far${of}` };
  }
  return { text: "delivered", tone: "delivered", title: `Forwarded to ${total} downstream${total === 1 ? "" : "s"}, ${attempts}` };
}

/** A Live row's replay note: the event it replays when it arrived as a replay, else how many
 * replays of it were sent; `null` when neither. */
export function formatReplays(r: { replay_of: number | null; replays: number }): { text: string; title: string } | null {
  if (r.replay_of !== null) {
    return { text: `of #${r.replay_of}`, title: `A replay of event ${r.replay_of} (as the sender numbered it)` };
  }
  if (r.replays > 0) {
    const times = r.replays === 1 ? "once" : `${formatCount(r.replays)} times`;
    return { text: `sent ${r.replays === 1 ? "1×" : `${formatCount(r.replays)}×`}`, title: `Replayed ${times}: the event view lists each replay and its answer` };
  }
  return null;
}
