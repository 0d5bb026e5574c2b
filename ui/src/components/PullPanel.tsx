// "Pull history": conversation logs from before the webhook, read from Watson's v2 logs API
// (`logbook pull`). Every pull is listed with how far it has come (pages, logs, new, already
// stored), followed page by page while one runs. In the desktop app a form starts one (the API key
// is kept in a file readable only by the user, shown masked) and "Pull again since the last pull"
// carries on from the newest log stored; in a browser, whose listener only reads, the panel gives
// the `logbook pull` commands to run.
import { useEffect, useState } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { PullRow } from "../api/types/PullRow";
import type { PullSettings } from "../api/types/PullSettings";
import { formatCount, formatDateTime } from "../format";
import { useAsync } from "../hooks";
import { CopyLine } from "./CopyButton";
import { ErrorBanner } from "./ErrorBanner";

/** How often the history is read again while a pull runs. */
const POLL_MS = 1_000;
/** An unfinished pull not updated for this long is not running any more (it resumes when pulled again). */
const STALE_MS = 6 * 60_000;

export type PullState = "finished" | "failed" | "running" | "interrupted";

/** What became of a pull, as its row says. */
export function pullState(p: PullRow, now: number): PullState {
  if (p.finished_at !== null) return "finished";
  if (p.error !== null) return "failed";
  return now - p.updated_at < STALE_MS ? "running" : "interrupted";
}

/** The logs a pull asked for, in words. */
export function pullRange(p: PullRow): string {
  const range =
    p.after && p.before ? `${p.after} to ${p.before}` : p.after ? `from ${p.after}` : p.before ? `before ${p.before}` : "everything kept";
  return p.filter ? `${range}, filter ${p.filter}` : range;
}

/** The `logbook pull` command for these settings (the key's file is the user's to name). */
export function pullCommand(url: string, environment: string, range: string): string {
  const arg = (v: string) => (/^[\w:/.@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  return `logbook pull --url ${arg(url || "https://api.<region>.assistant.watson.cloud.ibm.com/instances/<instance id>")} --environment ${arg(environment || "<environment id>")} --apikey-file ~/.config/assistant-logbook/ibm-apikey ${range}`;
}

function PullLine({ pull, now }: { pull: PullRow; now: number }) {
  const state = pullState(pull, now);
  const tone = state === "finished" ? "badge-ok" : state === "failed" ? "badge-error" : state === "running" ? "" : "badge-warn";
  return (
    <li data-testid="pull-row" data-state={state}>
      <div>
        <span className={`badge ${tone}`}>{state}</span> <span className="mono">{pull.environment}</span>{" "}
        <span className="muted">· {pullRange(pull)}</span>
      </div>
      <div className="muted hint" data-testid="pull-progress">
        {formatCount(pull.pages)} {pull.pages === 1 ? "page" : "pages"} · {formatCount(pull.logs)} logs ·{" "}
        {formatCount(pull.stored)} new · {formatCount(pull.duplicates)} already stored · started{" "}
        {formatDateTime(pull.started_at)}
        {pull.finished_at !== null ? ` · finished ${formatDateTime(pull.finished_at)}` : ""}
        {state === "interrupted" ? " · resumes where it stopped when pulled again" : ""}
      </div>
      {pull.error !== null ? (
        <div className="error-text hint" data-testid="pull-error" style={{ whiteSpace: "pre-wrap" }}>
          {pull.error}
        </div>
      ) : null}
    </li>
  );
}

/** The desktop form: settings, key (masked), range; "Pull" and "Pull again since the last pull". */
function PullForm(props: { saved: PullSettings; lastFinished: PullRow | null; running: boolean; onStarted: () => void }) {
  const desktop = api.desktop;
  const [url, setUrl] = useState(props.saved.url);
  const [environment, setEnvironment] = useState(props.saved.environment);
  const [iamUrl, setIamUrl] = useState(props.saved.iamUrl);
  const [newKey, setNewKey] = useState("");
  const [masked, setMasked] = useState(props.saved.apiKeyMasked ?? null);
  const [since, setSince] = useState("30d");
  const [filter, setFilter] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  if (!desktop) return null;
  const sameTarget =
    props.lastFinished !== null && props.lastFinished.url === url.trim().replace(/\/+$/, "") && props.lastFinished.environment === environment.trim();

  const start = async (sinceLast: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const saved = await desktop.startPull({
        settings: { url: url.trim(), environment: environment.trim(), iamUrl: iamUrl.trim(), newApiKey: newKey || null },
        since: since.trim() || null,
        sinceLast,
        filter: filter.trim() || null,
      });
      setMasked(saved.apiKeyMasked ?? null);
      setNewKey("");
    } catch (e) {
      setError(ClientError.from(e));
    } finally {
      setBusy(false);
      props.onStarted();
    }
  };

  return (
    <form
      className="pull-form"
      data-testid="pull-form"
      onSubmit={(e) => {
        e.preventDefault();
        void start(false);
      }}
    >
      <div className="pull-field">
        <label htmlFor="pull-url">Service URL</label>
        <input
          id="pull-url"
          className="input mono"
          data-testid="pull-url"
          placeholder="https://api.us-south.assistant.watson.cloud.ibm.com/instances/…"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
      </div>
      <div className="pull-field">
        <label htmlFor="pull-environment">Environment id</label>
        <input
          id="pull-environment"
          className="input mono"
          data-testid="pull-environment"
          value={environment}
          onChange={(e) => setEnvironment(e.target.value)}
        />
        <div className="muted hint">
          The id the API calls <code>assistant_id</code>: in the new experience, the environment's (Environments › draft
          or live › settings › API details), not the assistant's.
        </div>
      </div>
      <div className="pull-field">
        <label htmlFor="pull-key">IBM Cloud API key</label>
        <input
          id="pull-key"
          className="input mono"
          type="password"
          autoComplete="off"
          data-testid="pull-key"
          placeholder={masked ? `${masked} (stored; type to replace)` : "kept in a file only you can read"}
          value={newKey}
          onChange={(e) => setNewKey(e.target.value)}
        />
      </div>
      <div className="pull-field">
        <label htmlFor="pull-iam">IAM token URL</label>
        <input
          id="pull-iam"
          className="input mono"
          data-testid="pull-iam"
          placeholder="https://iam.cloud.ibm.com/identity/token"
          value={iamUrl}
          onChange={(e) => setIamUrl(e.target.value)}
        />
      </div>
      <div className="pull-field">
        <label htmlFor="pull-since">Since</label>
        <input
          id="pull-since"
          className="input input-short"
          data-testid="pull-since"
          placeholder="everything kept"
          value={since}
          onChange={(e) => setSince(e.target.value)}
        />
        <span className="muted hint"> an age (7d, 30d) or a date; Watson keeps 30 days (90 with data isolation, 7 on Lite)</span>
      </div>
      <div className="pull-field">
        <label htmlFor="pull-filter">Filter</label>
        <input
          id="pull-filter"
          className="input mono"
          data-testid="pull-filter"
          placeholder="optional, in the API's filter syntax, e.g. language::fr"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>
      <div className="pull-actions">
        <button type="submit" className="btn btn-primary" data-testid="pull-start" disabled={busy || props.running}>
          {busy ? "Starting…" : props.running ? "Pulling…" : "Pull"}
        </button>{" "}
        <button
          type="button"
          className="btn"
          data-testid="pull-again"
          disabled={busy || props.running || !sameTarget}
          title={sameTarget ? "From the newest log the last finished pull stored" : "No finished pull of this environment yet"}
          onClick={() => void start(true)}
        >
          Pull again since the last pull
        </button>
      </div>
      {error ? (
        <div className="error-text" role="alert" data-testid="pull-start-error" style={{ whiteSpace: "pre-wrap" }}>
          {error.message}
        </div>
      ) : null}
    </form>
  );
}

export function PullPanel() {
  const desktop = api.desktop;
  const history = useAsync(() => api.pulls(), []);
  const settings = useAsync(() => (desktop ? desktop.pullSettings() : Promise.resolve(null)), []);
  const [now, setNow] = useState(() => Date.now());
  const pulls = history.data ?? [];
  const running = pulls.some((p) => pullState(p, now) === "running");
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => {
      setNow(Date.now());
      history.reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  });
  const latest = pulls[0] ?? null;
  const lastFinished = pulls.find((p) => p.finished_at !== null) ?? null;

  return (
    <section className="panel" data-testid="pull-panel">
      <h2>Pull history</h2>
      <p className="muted" style={{ marginTop: 0 }}>
        Conversations from before the webhook (or from while it was down), read from Watson's logs API and stored as if
        the webhook had delivered them; a log already here is not stored twice.
      </p>
      {desktop ? (
        settings.data ? (
          <PullForm
            saved={settings.data}
            lastFinished={lastFinished}
            running={running}
            onStarted={() => {
              setNow(Date.now());
              history.reload();
            }}
          />
        ) : settings.error ? (
          <ErrorBanner error={settings.error} onRetry={settings.reload} />
        ) : null
      ) : (
        <>
          <p className="muted">This page only reads; pull from a terminal (the key in a file only you can read):</p>
          <CopyLine text={pullCommand(latest?.url ?? "", latest?.environment ?? "", "--since 30d")} testId="copy-pull" />
          {lastFinished ? (
            <>
              <p className="muted">Pull again since the last pull:</p>
              <CopyLine text={pullCommand(lastFinished.url, lastFinished.environment, "--since-last")} testId="copy-pull-again" />
            </>
          ) : null}
        </>
      )}
      {history.error ? <ErrorBanner error={history.error} onRetry={history.reload} /> : null}
      {pulls.length ? (
        <ul className="pull-list" data-testid="pull-history">
          {pulls.map((p) => (
            <PullLine key={p.id ?? p.started_at} pull={p} now={now} />
          ))}
        </ul>
      ) : history.data ? (
        <p className="muted" data-testid="pull-none">
          No pull yet.
        </p>
      ) : null}
    </section>
  );
}
