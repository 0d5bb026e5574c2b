// The desktop app's settings: the receiver's port, one endpoint per Watson environment (path,
// verification, secret, the downstreams its events are forwarded to), the body size limit and
// retention. Secrets arrive masked, the way Watson's
// own Secret field shows them; "Show" asks the app for one, and a field beside it replaces it. The
// app validates and saves, then restarts the receiver; its refusals are shown as it words them. In a
// browser there is nothing to set here: `logbook serve` takes these as command-line options.
//
// Above them, the Team store: a team's PostgreSQL store that every view reads instead of this
// computer's file (its URL, and its password kept like the secrets: masked, never sent back). The
// app checks it before switching, so a refusal leaves the store shown as it was; after a switch the
// page loads again, so that every view and the live feed start on the new store.
import { useEffect, useState } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { AuthMode } from "../api/types/AuthMode";
import type { ForwardMode } from "../api/types/ForwardMode";
import type { ForwardSettings } from "../api/types/ForwardSettings";
import type { Settings } from "../api/types/Settings";
import type { SettingsView as SettingsViewData } from "../api/types/SettingsView";
import type { TeamStoreView } from "../api/types/TeamStoreView";
import { CopyButton } from "../components/CopyButton";
import { ErrorBanner } from "../components/ErrorBanner";
import { ReceiverProblemBanner } from "../components/ReceiverProblem";
import { useAsync } from "../hooks";

const BYTES_PER_MB = 1024 * 1024;

export const AUTH_MODES: { mode: AuthMode; label: string; help: string }[] = [
  { mode: "jwt", label: "JWT (Watson's signature)", help: "Watson signs each request with the secret; the default." },
  {
    mode: "header",
    label: "Authorization header",
    help: "The whole Authorization header must equal the secret (when you set that header yourself in Watson).",
  },
  { mode: "none", label: "None", help: "Everything is accepted and marked unverified." },
];

export const FORWARD_MODES: { mode: ForwardMode; label: string; help: string }[] = [
  { mode: "jwt", label: "JWT signed with its own secret", help: "A fresh HS256 JWT, as Watson signs, with the downstream's secret." },
  {
    mode: "passthrough",
    label: "Watson's header, passed through",
    help: "The Authorization header Watson sent, unchanged (kept only until delivered).",
  },
  { mode: "header", label: "Fixed header value", help: "The secret's text as the whole Authorization header." },
  { mode: "none", label: "None", help: "No Authorization header." },
];

/** One downstream as the form holds it: headers one `Name: value` a line, numbers as typed. */
export interface ForwardDraft {
  key: number;
  id: string;
  url: string;
  mode: ForwardMode;
  secretMasked: string | null;
  newSecret: string;
  headers: string;
  parallel: string;
}

/** One endpoint as the form holds it. `key` tells rows apart before a new one has an id. */
export interface EndpointDraft {
  key: number;
  id: string;
  path: string;
  mode: AuthMode;
  secretMasked: string | null;
  newSecret: string;
  forwards: ForwardDraft[];
}

export function newForward(): ForwardDraft {
  return { key: nextKey++, id: "", url: "", mode: "jwt", secretMasked: null, newSecret: "", headers: "", parallel: "1" };
}

function forwardNeedsSecret(mode: ForwardMode): boolean {
  return mode === "jwt" || mode === "header";
}

/** A downstream to save, or what cannot be read (names and values are the app's to check). */
function forwardFromDraft(f: ForwardDraft): ForwardSettings | { error: string } {
  const url = f.url.trim();
  const parallel = wholeNumber(f.parallel);
  if (parallel === null) return { error: `Downstream ${url || "(no URL)"}: deliveries at once must be a whole number.` };
  const headers = [];
  for (const line of f.headers.split("\n")) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) return { error: `Downstream ${url}: header line "${line}" must read Name: value.` };
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return {
    id: f.id,
    url,
    mode: f.mode,
    headers,
    parallel,
    ...(forwardNeedsSecret(f.mode) && f.newSecret !== "" ? { new_secret: f.newSecret } : {}),
  };
}

/** The form: numbers stay text while they are typed, and are read on save. */
export interface SettingsDraft {
  port: string;
  endpoints: EndpointDraft[];
  maxBodyMb: string;
  rejectionsKept: string;
  keepDays: string;
  maxDbMb: string;
}

let nextKey = 1;

export function toDraft(settings: Settings): SettingsDraft {
  return {
    port: String(settings.port),
    endpoints: settings.endpoints.map((e) => ({
      key: nextKey++,
      id: e.id,
      path: e.path ?? "",
      mode: e.mode,
      secretMasked: e.secret_masked ?? null,
      newSecret: "",
      forwards: e.forwards.map((f) => ({
        key: nextKey++,
        id: f.id,
        url: f.url,
        mode: f.mode,
        secretMasked: f.secret_masked ?? null,
        newSecret: "",
        headers: f.headers.map((h) => `${h.name}: ${h.value}`).join("\n"),
        parallel: String(f.parallel),
      })),
    })),
    maxBodyMb: String(Math.round((settings.max_body_bytes / BYTES_PER_MB) * 1000) / 1000),
    rejectionsKept: String(settings.retention.rejections_kept),
    keepDays: settings.retention.keep_days === null ? "" : String(settings.retention.keep_days),
    maxDbMb: settings.retention.max_db_mb === null ? "" : String(settings.retention.max_db_mb),
  };
}

function wholeNumber(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * The settings to save, or what cannot be read as a number. Ranges and paths are the app's to check
 * (it says why it refuses); an empty secret field keeps the stored secret.
 */
export function fromDraft(draft: SettingsDraft): { settings: Settings } | { error: string } {
  const port = wholeNumber(draft.port);
  if (port === null || port < 1 || port > 65_535) return { error: "The port must be a whole number from 1 to 65535." };
  const mb = Number(draft.maxBodyMb.trim());
  if (draft.maxBodyMb.trim() === "" || !Number.isFinite(mb) || mb <= 0) {
    return { error: "The body size limit must be a number of megabytes, such as 10." };
  }
  const rejectionsKept = wholeNumber(draft.rejectionsKept);
  if (rejectionsKept === null) return { error: "The refused requests kept must be a whole number." };
  const optional = (text: string, what: string): number | null | { error: string } => {
    if (text.trim() === "") return null;
    const n = wholeNumber(text);
    return n === null ? { error: `${what} must be a whole number, or empty for no limit.` } : n;
  };
  const keepDays = optional(draft.keepDays, "The days to keep events");
  if (keepDays !== null && typeof keepDays === "object") return keepDays;
  const maxDbMb = optional(draft.maxDbMb, "The database size limit");
  if (maxDbMb !== null && typeof maxDbMb === "object") return maxDbMb;
  const endpoints = [];
  for (const e of draft.endpoints) {
    const path = e.path.trim();
    const forwards = [];
    for (const f of e.forwards) {
      const read = forwardFromDraft(f);
      if ("error" in read) return read;
      forwards.push(read);
    }
    endpoints.push({
      id: e.id,
      path: path === "" ? null : path,
      mode: e.mode,
      ...(e.mode !== "none" && e.newSecret !== "" ? { new_secret: e.newSecret } : {}),
      forwards,
    });
  }
  return {
    settings: {
      port,
      endpoints,
      max_body_bytes: Math.round(mb * BYTES_PER_MB),
      retention: { rejections_kept: rejectionsKept, keep_days: keepDays, max_db_mb: maxDbMb },
    },
  };
}

/** The stored secret, masked until shown. */
function Secret(props: { endpointId: string; masked: string }) {
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const desktop = api.desktop;
  const reveal = async () => {
    if (!desktop) return;
    setError(null);
    try {
      setShown(await desktop.revealSecret(props.endpointId));
    } catch (e) {
      setError(ClientError.from(e).message);
    }
  };
  return (
    <div className="secret-line">
      <code className="secret" data-testid="secret-value" data-masked={shown === null ? "true" : "false"}>
        {shown ?? props.masked}
      </code>
      {shown === null ? (
        <button type="button" className="btn" data-testid="secret-show" onClick={() => void reveal()}>
          Show
        </button>
      ) : (
        <>
          <button type="button" className="btn" data-testid="secret-hide" onClick={() => setShown(null)}>
            Hide
          </button>
          <CopyButton text={shown} testId="secret-copy" />
        </>
      )}
      {error ? <span className="error-text">{error}</span> : null}
    </div>
  );
}

function ForwardRow(props: { forward: ForwardDraft; onChange: (f: ForwardDraft) => void; onRemove: () => void }) {
  const { forward: f, onChange } = props;
  const stored = f.id !== "" && f.secretMasked !== null;
  return (
    <div className="forward-edit" data-testid="forward-edit">
      <div className="form-grid">
        <label htmlFor={`fwd-url-${f.key}`}>URL</label>
        <input
          id={`fwd-url-${f.key}`}
          className="input mono"
          data-testid="forward-url"
          value={f.url}
          placeholder="https://logs.example.com/watson"
          spellCheck={false}
          onChange={(ev) => onChange({ ...f, url: ev.target.value })}
        />
        <label htmlFor={`fwd-mode-${f.key}`}>Authorization</label>
        <div>
          <select
            id={`fwd-mode-${f.key}`}
            data-testid="forward-mode"
            value={f.mode}
            onChange={(ev) => onChange({ ...f, mode: ev.target.value as ForwardMode })}
          >
            {FORWARD_MODES.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.label}
              </option>
            ))}
          </select>
          <span className="muted hint"> {FORWARD_MODES.find((m) => m.mode === f.mode)?.help}</span>
        </div>
        {forwardNeedsSecret(f.mode) ? (
          <>
            <span className="label">Its secret</span>
            <div>
              {stored ? (
                <code className="secret" data-testid="forward-secret" data-masked="true">
                  {f.secretMasked}
                </code>
              ) : (
                <div className="muted">None stored: type the downstream's secret.</div>
              )}
              <input
                className="input mono"
                data-testid="forward-new-secret"
                aria-label="Downstream secret"
                type="password"
                value={f.newSecret}
                placeholder={stored ? "Type a new secret to replace it" : "The downstream's secret"}
                autoComplete="off"
                spellCheck={false}
                onChange={(ev) => onChange({ ...f, newSecret: ev.target.value })}
              />
            </div>
          </>
        ) : null}
        <label htmlFor={`fwd-headers-${f.key}`}>Extra headers</label>
        <div>
          <textarea
            id={`fwd-headers-${f.key}`}
            className="input mono"
            data-testid="forward-headers"
            rows={2}
            value={f.headers}
            placeholder="X-Team: support"
            spellCheck={false}
            onChange={(ev) => onChange({ ...f, headers: ev.target.value })}
          />
          <span className="muted hint"> one Name: value a line</span>
        </div>
        <label htmlFor={`fwd-parallel-${f.key}`}>Deliveries at once</label>
        <div>
          <input
            id={`fwd-parallel-${f.key}`}
            className="input input-short"
            inputMode="numeric"
            data-testid="forward-parallel"
            value={f.parallel}
            onChange={(ev) => onChange({ ...f, parallel: ev.target.value })}
          />
          <span className="muted hint"> 1 delivers in arrival order; more (up to 64) in parallel, out of order</span>
        </div>
      </div>
      <button type="button" className="btn" data-testid="forward-remove" onClick={props.onRemove}>
        Remove downstream
      </button>
    </div>
  );
}

function EndpointRow(props: {
  endpoint: EndpointDraft;
  canRemove: boolean;
  onChange: (e: EndpointDraft) => void;
  onRemove: () => void;
}) {
  const { endpoint: e, onChange } = props;
  const needsSecret = e.mode !== "none";
  const stored = e.id !== "" && e.secretMasked !== null;
  return (
    <div className="endpoint-edit" data-testid="endpoint-edit">
      <div className="form-grid">
        <label htmlFor={`path-${e.key}`}>Path</label>
        <div>
          <input
            id={`path-${e.key}`}
            className="input mono"
            data-testid="endpoint-path"
            value={e.path}
            placeholder="any path"
            spellCheck={false}
            onChange={(ev) => onChange({ ...e, path: ev.target.value })}
          />
          <span className="muted hint"> e.g. /draft, /live; empty takes every path no other endpoint claims</span>
        </div>
        <label htmlFor={`mode-${e.key}`}>Verification</label>
        <div>
          <select
            id={`mode-${e.key}`}
            data-testid="endpoint-mode"
            value={e.mode}
            onChange={(ev) => onChange({ ...e, mode: ev.target.value as AuthMode })}
          >
            {AUTH_MODES.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.label}
              </option>
            ))}
          </select>
          <span className="muted hint"> {AUTH_MODES.find((m) => m.mode === e.mode)?.help}</span>
        </div>
        {needsSecret ? (
          <>
            <span className="label">Secret</span>
            <div>
              {stored ? (
                <Secret endpointId={e.id} masked={e.secretMasked as string} />
              ) : (
                <div className="muted">
                  {e.id === "" ? "None yet: type one below, or save to have one made." : "None stored: one is made on save."}
                </div>
              )}
              <input
                className="input mono"
                data-testid="endpoint-new-secret"
                aria-label="New secret"
                value={e.newSecret}
                placeholder={stored ? "Type a new secret to replace it" : "New secret (1 to 1,024 characters)"}
                autoComplete="off"
                spellCheck={false}
                onChange={(ev) => onChange({ ...e, newSecret: ev.target.value })}
              />
            </div>
          </>
        ) : null}
      </div>
      <div className="forwards">
        <span className="label">Forward to</span>
        {e.forwards.length === 0 ? (
          <span className="muted hint"> nothing: this endpoint's events stay here only</span>
        ) : null}
        {e.forwards.map((f) => (
          <ForwardRow
            key={f.key}
            forward={f}
            onChange={(changed) => onChange({ ...e, forwards: e.forwards.map((x) => (x.key === f.key ? changed : x)) })}
            onRemove={() => onChange({ ...e, forwards: e.forwards.filter((x) => x.key !== f.key) })}
          />
        ))}
        <button
          type="button"
          className="btn"
          data-testid="forward-add"
          onClick={() => onChange({ ...e, forwards: [...e.forwards, newForward()] })}
        >
          Add downstream
        </button>
      </div>
      <button
        type="button"
        className="btn"
        data-testid="endpoint-remove"
        disabled={!props.canRemove}
        title={props.canRemove ? undefined : "At least one endpoint is needed"}
        onClick={props.onRemove}
      >
        Remove
      </button>
    </div>
  );
}

function SettingsForm(props: { view: SettingsViewData; onSaved: (view: SettingsViewData) => void }) {
  const { view } = props;
  const [draft, setDraft] = useState<SettingsDraft>(() => toDraft(view.settings));
  const [saving, setSaving] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);

  // A save (here or from the problem banner) brings the settings as saved: the form follows them.
  useEffect(() => setDraft(toDraft(view.settings)), [view.settings]);

  const set = (change: Partial<SettingsDraft>) => setDraft((d) => ({ ...d, ...change }));
  const setEndpoint = (key: number, e: EndpointDraft) =>
    setDraft((d) => ({ ...d, endpoints: d.endpoints.map((x) => (x.key === key ? e : x)) }));

  const save = async () => {
    const desktop = api.desktop;
    if (!desktop) return;
    const read = fromDraft(draft);
    if ("error" in read) {
      setNote({ text: read.error, error: true });
      return;
    }
    setSaving(true);
    setNote(null);
    try {
      const saved = await desktop.saveSettings(read.settings);
      props.onSaved(saved);
      setNote({ text: "Saved.", error: false });
    } catch (e) {
      const err = ClientError.from(e);
      setNote({ text: err.kind === "bad_request" ? err.message : `Not saved: ${err.message}`, error: true });
    } finally {
      setSaving(false);
    }
  };

  const field = (id: Exclude<keyof SettingsDraft, "endpoints">, label: string, hint: string, testId: string) => (
    <>
      <label htmlFor={`settings-${id}`}>{label}</label>
      <div>
        <input
          id={`settings-${id}`}
          className="input input-short"
          inputMode="numeric"
          data-testid={testId}
          value={draft[id]}
          onChange={(e) => {
            const value = e.target.value;
            setDraft((d) => ({ ...d, [id]: value }));
          }}
        />
        <span className="muted hint"> {hint}</span>
      </div>
    </>
  );

  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <section className="panel">
        <h2>Receiver</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          {view.receiver.url ? (
            <>
              Receiving at <code data-testid="settings-receiver-url">{view.receiver.url}</code>.
            </>
          ) : (
            "Not receiving."
          )}
        </p>
        <div className="form-grid">
          {field("port", "Port", "on 127.0.0.1; a tunnel forwards Watson's calls here", "settings-port")}
          {field("maxBodyMb", "Body size limit (MB)", "larger requests are refused with 413", "settings-max-body")}
        </div>
      </section>

      <section className="panel">
        <h2>Endpoints</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          One per Watson environment: its URL path, how its requests are verified, the secret typed into Watson's Log
          webhook › Secret field, and the downstreams each accepted event is passed on to (through a durable outbox,
          retried until they answer 2xx).
        </p>
        {draft.endpoints.map((e) => (
          <EndpointRow
            key={e.key}
            endpoint={e}
            canRemove={draft.endpoints.length > 1}
            onChange={(changed) => setEndpoint(e.key, changed)}
            onRemove={() => set({ endpoints: draft.endpoints.filter((x) => x.key !== e.key) })}
          />
        ))}
        <button
          type="button"
          className="btn"
          data-testid="endpoint-add"
          onClick={() =>
            set({
              endpoints: [
                ...draft.endpoints,
                { key: nextKey++, id: "", path: "", mode: "jwt", secretMasked: null, newSecret: "", forwards: [] },
              ],
            })
          }
        >
          Add endpoint
        </button>
      </section>

      <section className="panel">
        <h2>Retention</h2>
        {view.restart_needed ? (
          <p className="restart-note" data-testid="restart-needed" role="status">
            The retention you saved takes effect at the next launch of the app.
          </p>
        ) : (
          <p className="muted" style={{ marginTop: 0 }}>
            Takes effect at the next launch of the app: the database is opened once.
          </p>
        )}
        <div className="form-grid">
          {field("keepDays", "Keep events (days)", "empty: however old", "settings-keep-days")}
          {field("maxDbMb", "Database size limit (MB)", "the oldest events go first; empty: no limit", "settings-max-db")}
          {field("rejectionsKept", "Refused requests kept", "the newest ones, for inspection", "settings-rejections")}
        </div>
      </section>

      <div className="settings-actions">
        <button type="submit" className="btn btn-primary" data-testid="settings-save" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button
          type="button"
          className="btn"
          data-testid="settings-revert"
          disabled={saving}
          onClick={() => {
            setDraft(toDraft(view.settings));
            setNote(null);
          }}
        >
          Revert
        </button>
        {note ? (
          <span
            role={note.error ? "alert" : "status"}
            data-testid={note.error ? "settings-error" : "settings-saved"}
            className={note.error ? "error-text" : "muted"}
          >
            {note.text}
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** Settings › Team store. `onSwitched` runs once the store shown has changed (the page reloads). */
export function TeamStoreSection(props: {
  team: TeamStoreView;
  database: string;
  onSaved: (view: SettingsViewData) => void;
  onSwitched: () => void;
}) {
  const { team } = props;
  const saved = team.saved;
  const [url, setUrl] = useState(saved?.url ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState<"open" | "close" | "forget" | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setUrl(saved?.url ?? ""), [saved?.url]);
  // A stored password is used again only for the URL it was stored with.
  const storedApplies = saved !== null && saved.password_masked !== undefined && url.trim() === saved.url;

  const act = async (what: "open" | "close" | "forget") => {
    const desktop = api.desktop;
    if (!desktop) return;
    setBusy(what);
    setError(null);
    try {
      const view =
        what === "open"
          ? await desktop.openTeamStore({ url: url.trim(), password: password === "" ? null : password })
          : await desktop.closeTeamStore(what === "forget");
      setPassword("");
      props.onSaved(view);
      const wasShowing = team.showing;
      if (view.team_store.showing !== wasShowing || what === "open") props.onSwitched();
    } catch (e) {
      setError(ClientError.from(e).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel team-store" data-testid="team-store">
      <h2>Team store</h2>
      {team.showing ? (
        <p className="team-store-showing" role="status" data-testid="team-store-showing">
          Every view shows the team store <code>PostgreSQL {team.showing}</code>. This app's receiver goes on storing
          what it receives into this computer's store (<code>{props.database}</code>), shown again when you go back to it.
        </p>
      ) : (
        <p className="muted" style={{ marginTop: 0 }} data-testid="team-store-local">
          Every view shows this computer's store. To see what the team's Logbooks received, open the PostgreSQL store
          they share (the one <code>logbook serve --store</code> receives into): the lists, Live, Trends, exports and
          Status read it instead; this app's receiver keeps storing into this computer's store.
        </p>
      )}
      {team.problem ? (
        <p className="error-text" role="alert" data-testid="team-store-problem">
          {team.problem}
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act("open");
        }}
      >
        <div className="form-grid">
          <label htmlFor="team-store-url">PostgreSQL URL</label>
          <div>
            <input
              id="team-store-url"
              className="input mono"
              data-testid="team-store-url"
              value={url}
              placeholder="postgres://user@host/logbook?sslmode=require"
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setUrl(e.target.value)}
            />
            <span className="muted hint"> a password in the URL is taken out and kept apart, like the secrets</span>
          </div>
          <label htmlFor="team-store-password">Password</label>
          <div>
            {storedApplies ? (
              <code className="secret" data-testid="team-store-password-masked" data-masked="true">
                {saved?.password_masked}
              </code>
            ) : null}
            <input
              id="team-store-password"
              className="input mono"
              data-testid="team-store-password"
              type="password"
              value={password}
              placeholder={storedApplies ? "Leave empty to keep the stored password" : "If the server asks for one"}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
        </div>
        <div className="settings-actions" style={{ marginTop: 12 }}>
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="team-store-open"
            disabled={busy !== null || url.trim() === ""}
          >
            {busy === "open" ? "Opening…" : "Open team store"}
          </button>
          {team.showing ? (
            <button
              type="button"
              className="btn"
              data-testid="team-store-close"
              disabled={busy !== null}
              onClick={() => void act("close")}
            >
              {busy === "close" ? "Switching…" : "Back to this computer's store"}
            </button>
          ) : null}
          {saved ? (
            <button
              type="button"
              className="btn"
              data-testid="team-store-forget"
              disabled={busy !== null}
              title="Removes the saved URL and password"
              onClick={() => void act("forget")}
            >
              Forget
            </button>
          ) : null}
          {error ? (
            <span role="alert" className="error-text" data-testid="team-store-error">
              {error}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

/** Loads the app again, on the store now shown: every view and the live feed start over. */
function reloadApp() {
  window.location.reload();
}

export function SettingsView(props: { onStoreSwitched?: () => void } = {}) {
  const desktop = api.desktop;
  const loaded = useAsync(() => (desktop ? desktop.settings() : Promise.resolve(null)), []);
  const [latest, setLatest] = useState<SettingsViewData | null>(null);
  if (!desktop) {
    return (
      <div className="scroll-page" data-testid="settings-view">
        <div className="empty">
          <p>
            <strong>Settings belong to the desktop app.</strong> <code>logbook serve</code> takes its port, endpoints,
            body size limit and retention as command-line options: see <code>logbook serve --help</code>.
          </p>
        </div>
      </div>
    );
  }
  const view = latest ?? loaded.data;
  return (
    <div className="scroll-page" data-testid="settings-view">
      {loaded.error && !view ? <ErrorBanner error={loaded.error} onRetry={loaded.reload} /> : null}
      {view ? (
        <div className="settings-page">
          <ReceiverProblemBanner view={view} onSaved={setLatest} inSettings />
          <TeamStoreSection
            team={view.team_store}
            database={view.database}
            onSaved={setLatest}
            onSwitched={props.onStoreSwitched ?? reloadApp}
          />
          <SettingsForm view={view} onSaved={setLatest} />
          <dl className="kv settings-paths">
            <dt>this computer's database</dt>
            <dd className="mono">{view.database}</dd>
            <dt>settings and secrets</dt>
            <dd className="mono">{view.config_dir}</dd>
          </dl>
        </div>
      ) : loaded.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
    </div>
  );
}
