// What the Replay panel and the Compare view decide without the server: whether the edited body is
// JSON (and where it is not), which replay request the form makes, and how a change's values read.
// Payload text stays text: these functions return strings that the views render as text only.
import type { BodyChange as Change } from "./api/types/BodyChange";
import type { ReplayRequest } from "./api/types/ReplayRequest";
import type { Signing } from "./api/types/Signing";
import { parse, printParseErrorCode, type ParseError, type ParseErrorCode } from "jsonc-parser";

/** The edited body is JSON, or where it stops being JSON (1-based line and column). */
export type JsonCheck = { ok: true; value: unknown } | { ok: false; message: string; line: number; column: number };

/** Line and column (1-based) of character `offset` of `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * Parses `text` as JSON (strict: `JSON.parse` decides). Where it is not JSON comes from
 * jsonc-parser's scanner, told to allow nothing JSON does not (no comments, no trailing commas):
 * browsers' own messages do not always say where.
 */
export function checkJson(text: string): JsonCheck {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const at = lineColumn(text, first ? first.offset : text.length);
    const message = first ? describeParseError(first.error) : e instanceof SyntaxError ? "not valid JSON" : String(e);
    return { ok: false, message, ...at };
  }
}

/** jsonc-parser's error code in words ("ValueExpected": "value expected"). */
function describeParseError(code: ParseErrorCode): string {
  const name = printParseErrorCode(code);
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
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
