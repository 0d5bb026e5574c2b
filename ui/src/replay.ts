// What the Replay panel and the Compare view decide without the server: whether the edited body is
// JSON (and where it is not), which replay request the form makes, and how a change's values read.
// Payload text stays text: these functions return strings that the views render as text only.
import type { BodyChange as Change } from "./api/types/BodyChange";
import type { ReplayRequest } from "./api/types/ReplayRequest";
import type { Signing } from "./api/types/Signing";

/** The edited body is JSON, or where it stops being JSON (1-based line and column). */
export type JsonCheck = { ok: true; value: unknown } | { ok: false; message: string; line: number; column: number };

/** Line and column (1-based) of character `offset` of `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * Parses `text` as JSON. Engines word their errors differently: "(line L column C)" (V8 now),
 * "at position N" (V8 before), "at line L column C" (Firefox); each gives the place. An empty text,
 * or one whose error names no place, is placed at its end.
 */
export function checkJson(text: string): JsonCheck {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const message = raw.replace(/\s*\(line \d+ column \d+\)\s*$/, "").replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    const lc = /line (\d+) column (\d+)/.exec(raw);
    if (lc) return { ok: false, message, line: Number(lc[1]), column: Number(lc[2]) };
    const pos = /position (\d+)/.exec(raw);
    const at = lineColumn(text, pos ? Number(pos[1]) : text.length);
    return { ok: false, message, ...at };
  }
}

/** What the Replay form holds. */
export interface ReplayForm {
  to: string;
  signing: Signing;
  secretFile: string;
  /** The body as the editor holds it. */
  body: string;
}

/**
 * The request the form makes, or why Send is disabled: a target that is not an http(s) URL, a
 * missing secret file, or a body that is not JSON. The body is sent only when it was edited
 * (`original`: the text the editor opened with), so an untouched replay sends the exact stored bytes.
 */
export function replayRequest(event: number, form: ReplayForm, original: string): { request: ReplayRequest } | { problem: string } {
  const to = form.to.trim();
  let url: URL | null = null;
  try {
    url = new URL(to);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.host === "") {
    return { problem: "Enter the target URL (http:// or https://)." };
  }
  if (form.signing === "file" && form.secretFile.trim() === "") {
    return { problem: "Enter the path of the secret file on this machine." };
  }
  const check = checkJson(form.body);
  if (!check.ok) return { problem: `The body is not JSON: ${check.message} (line ${check.line}, column ${check.column}).` };
  const request: ReplayRequest = { event, to, signing: form.signing };
  if (form.signing === "file") request.secretFile = form.secretFile.trim();
  if (form.body !== original) request.body = form.body;
  return { request };
}

/** A value of a change as one line of JSON text; empty when that side has none. */
export function changeValue(value: unknown): string {
  return value === undefined ? "" : (JSON.stringify(value) ?? "");
}

/** A change's place, for reading: its path, or "(whole body)". */
export function changePath(change: Change): string {
  return change.path === "" ? "(whole body)" : change.path;
}
