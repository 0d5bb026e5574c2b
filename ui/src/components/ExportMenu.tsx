// Export of the current filter: what (kind) × how (format). The browser downloads the file; the
// desktop app asks where to save it.
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { Format } from "../api/types/Format";
import type { Kind } from "../api/types/Kind";
import { formatCount } from "../format";
import { describeError } from "./ErrorBanner";

export const EXPORT_KINDS: { kind: Kind; label: string; help: string }[] = [
  { kind: "events", label: "Events", help: "every request: accepted and rejected" },
  { kind: "messages", label: "Messages", help: "one row per conversation turn (what Conversations shows, turn by turn)" },
  { kind: "calls", label: "Calls", help: "one row per call record" },
  { kind: "call_turns", label: "Call turns", help: "each call's turns with the messages they link to" },
  { kind: "custom_data", label: "Custom data", help: "each call's injected custom data, key by key" },
  { kind: "raw", label: "Raw bodies", help: "every accepted body as received; `logbook import` reads it back" },
];

export const EXPORT_FORMATS: { format: Format; label: string }[] = [
  { format: "csv", label: "CSV" },
  { format: "json", label: "JSON" },
  { format: "ndjson", label: "NDJSON" },
];

/** Whether `kind` can be exported as `format` with this query (raw: NDJSON of everything only). */
export function exportAllowed(kind: Kind, format: Format, query: string): boolean {
  if (kind !== "raw") return true;
  return format === "ndjson" && query.trim() === "";
}

export function ExportMenu(props: {
  defaultKind: Kind;
  query: string;
  /** The route on screen: the menu closes when it changes (it belongs to the view it was opened on). */
  routeKey: string;
}) {
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<Kind>(props.defaultKind);
  const [format, setFormat] = useState<Format>("csv");
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  /** Rows written so far by a running export, when the transport reports them (the desktop app). */
  const [progress, setProgress] = useState<number | null>(null);
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => setOpen(false), [props.routeKey]);

  useEffect(() => {
    if (!open) setKind(props.defaultKind);
  }, [props.defaultKind, open]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        setOpen(false);
      }
    };
    document.addEventListener("mousedown", onDown);
    window.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("mousedown", onDown);
      window.removeEventListener("keydown", onKey, true);
    };
  }, [open]);

  const rawBlocked = props.query.trim() !== "";
  const effectiveFormat: Format = kind === "raw" ? "ndjson" : format;
  const allowed = exportAllowed(kind, effectiveFormat, props.query);

  const run = async () => {
    setBusy(true);
    setNote(null);
    setProgress(null);
    try {
      const result = await api.exportRows(kind, effectiveFormat, props.query, (p) => {
        if (!p.done) setProgress(p.rows);
      });
      if (result.path) {
        setNote({
          text: `Saved${result.rows !== null ? ` ${formatCount(result.rows)} rows` : ""} to ${result.path}`,
          error: false,
        });
      } else if (result.rows === null) {
        setNote({ text: "The download has started.", error: false });
      } else {
        setNote({ text: "Export cancelled.", error: false });
      }
    } catch (e) {
      const err = ClientError.from(e);
      setNote({ text: `${describeError(err).title}: ${err.message}`, error: true });
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <div className="menu-wrap" ref={wrap}>
      <button
        type="button"
        className="btn"
        data-testid="export"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        Export
      </button>
      {open ? (
        <div className="popover popover-right export-menu" role="dialog" aria-label="Export" data-testid="export-menu">
          <div className="muted" style={{ fontSize: "0.85em" }}>
            {props.query ? (
              <>
                Rows matching <code>{props.query}</code>
              </>
            ) : (
              "Everything (no filter)"
            )}
          </div>
          <fieldset>
            <legend>What</legend>
            {EXPORT_KINDS.map((k) => (
              <label key={k.kind} title={k.help}>
                <input
                  type="radio"
                  name="export-kind"
                  value={k.kind}
                  data-testid={`export-kind-${k.kind}`}
                  checked={kind === k.kind}
                  disabled={k.kind === "raw" && rawBlocked}
                  onChange={() => setKind(k.kind)}
                />
                {k.label}
                {k.kind === "raw" && rawBlocked ? <span className="muted"> (only without a search or time range)</span> : null}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Format</legend>
            <div style={{ display: "flex", gap: 12 }}>
              {EXPORT_FORMATS.map((f) => (
                <label key={f.format}>
                  <input
                    type="radio"
                    name="export-format"
                    value={f.format}
                    data-testid={`export-format-${f.format}`}
                    checked={effectiveFormat === f.format}
                    disabled={kind === "raw" && f.format !== "ndjson"}
                    onChange={() => setFormat(f.format)}
                  />
                  {f.label}
                </label>
              ))}
            </div>
          </fieldset>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="export-run"
            disabled={busy || !allowed}
            onClick={() => void run()}
          >
            {busy ? "Exporting…" : "Export"}
          </button>
          {busy && progress !== null ? (
            <div role="status" className="muted" data-testid="export-progress" style={{ fontSize: "0.9em" }}>
              {formatCount(progress)} rows…
            </div>
          ) : null}
          {note ? (
            <div role="status" style={{ color: note.error ? "var(--error)" : "var(--muted)", fontSize: "0.9em" }}>
              {note.text}
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
