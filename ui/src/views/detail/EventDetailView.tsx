// One webhook request whole, accepted or rejected: how it arrived and was verified, its headers
// (redacted by the server), its JWT decoded, and its body as a tree or as the raw text, with ways to
// copy it or send it again to a local receiver.
import { useState } from "react";
import { JsonView, defaultStyles } from "react-json-view-lite";
import "react-json-view-lite/dist/index.css";
import { api } from "../../api";
import type { DeliveryView } from "../../api/types/DeliveryView";
import type { EventDetail } from "../../api/types/EventDetail";
import type { JsonValue } from "../../api/types/serde_json/JsonValue";
import type { Navigate } from "../../routes";
import { CopyButton } from "../../components/CopyButton";
import { Badge, ErrorNote, Facts, HeadersTable, Loading, RouteLink } from "../../components/detail/common";
import { useAsync } from "../../hooks";
import { ReplayPanel } from "./ReplayPanel";
import { formatBytes, formatCount, formatTimestamp, formatUnixSeconds, jsonText, sendCommand } from "../../format";

/**
 * The JSON tree drawn with the page's own classes (detail.css), coloured by the theme's variables:
 * one tree that reads in the light and the dark theme alike.
 */
const JSON_STYLES = {
  ...defaultStyles,
  container: "json-container",
  label: "json-label",
  clickableLabel: "json-label json-clickable",
  stringValue: "json-string",
  numberValue: "json-number",
  booleanValue: "json-boolean",
  nullValue: "json-null",
  undefinedValue: "json-null",
  otherValue: "json-other",
  punctuation: "json-punct",
};

export function EventDetailView(props: { id: string; navigate: Navigate }) {
  const { id, navigate } = props;
  const loaded = useAsync(() => api.event(id), [id]);
  if (loaded.error) {
    const what = id.startsWith("r") ? `rejected request ${id}` : `event ${id}`;
    return <ErrorNote error={loaded.error} notFound={`No ${what}.`} />;
  }
  if (loaded.data === undefined) return <Loading what="event" />;
  return <EventBody event={loaded.data} navigate={navigate} />;
}

/** Imports are stored with endpoint/auth `import` and a file path as their path; logs pulled from
 *  Watson's logs API (`logbook pull`) with endpoint/auth `pull` and the API's path. */
function cameOverHttp(e: EventDetail): boolean {
  return !pulled(e) && e.endpoint !== "import" && e.auth !== "import";
}

function pulled(e: EventDetail): boolean {
  return e.endpoint === "pull" && e.auth === "pull";
}

function EventBody({ event: e, navigate }: { event: EventDetail; navigate: Navigate }) {
  const rejected = e.source === "rejected";
  const viaHttp = cameOverHttp(e);
  return (
    <div className="detail event-view">
      <header className="detail-header">
        <h2>
          {rejected ? `Rejected request r${e.id}` : `Event #${e.id}`}{" "}
          <Badge tone={rejected ? "error" : "ok"}>{e.status}</Badge> <span className="mono">{e.kind}</span>
        </h2>
        {e.reason && (
          <p className="reason" role="note">
            <Badge tone="error">rejected</Badge> {e.reason}
          </p>
        )}
        <Facts
          rows={[
            ["received", formatTimestamp(e.received_at)],
            ["method", <span className="mono">{e.method}</span>],
            [viaHttp ? "path" : pulled(e) ? "pulled from" : "file", <span className="mono">{e.path}</span>],
            ["endpoint", e.endpoint && <span className="mono">{e.endpoint}</span>],
            ["remote address", e.remote_addr && <span className="mono">{e.remote_addr}</span>],
            [
              "size",
              `${formatBytes(e.body_bytes)}${e.body_bytes >= 1024 ? ` (${formatCount(e.body_bytes)} bytes)` : ""}${e.body_truncated ? ", only the start kept" : ""}`,
            ],
            ["verification", <Verification event={e} />],
            ["duplicates", e.duplicates > 0 ? `${e.duplicates} more ${e.duplicates === 1 ? "delivery" : "deliveries"} of this event` : undefined],
            ["log id", e.log_id ? <span className="mono">{e.log_id}</span> : undefined],
            [
              "replay of",
              e.replay_of !== null ? (
                <>
                  event {e.replay_of} <span className="muted small">(as numbered by the Logbook that sent it)</span>{" "}
                  <RouteLink navigate={navigate} to={{ view: "compare", left: String(e.replay_of), right: String(e.id) }}>
                    Compare with original
                  </RouteLink>
                </>
              ) : undefined,
            ],
          ]}
        />
        <p className="event-links">
          {e.session_id && (
            <RouteLink navigate={navigate} to={{ view: "conversation", id: e.session_id }}>
              Open conversation <span className="mono">{e.session_id}</span>
            </RouteLink>
          )}
          {e.global_session_id && (
            <RouteLink navigate={navigate} to={{ view: "call", id: e.global_session_id }}>
              Open call <span className="mono">{e.global_session_id}</span>
            </RouteLink>
          )}
        </p>
      </header>

      <section className="panel">
        <h3>Headers</h3>
        {e.headers.length === 0 ? (
          <p className="muted small">
            {viaHttp
              ? "none kept"
              : pulled(e)
                ? "none: pulled from Watson's logs API (logbook pull), not delivered by the webhook"
                : "none: imported from a file, not received over HTTP"}
          </p>
        ) : (
          <HeadersTable headers={e.headers} />
        )}
      </section>

      {(e.jwt_header !== null || e.jwt_claims !== null) && (
        <section className="panel">
          <h3>
            JWT <Verification event={e} />
          </h3>
          <div className="detail-grid">
            <div>
              <h4>Header</h4>
              <JsonFields value={e.jwt_header} />
            </div>
            <div>
              <h4>Claims</h4>
              <JsonFields value={e.jwt_claims} dates />
            </div>
          </div>
        </section>
      )}

      {e.deliveries.length > 0 && <Deliveries deliveries={e.deliveries} />}

      {!rejected &&
        (e.replayable ? (
          <ReplayPanel event={e} navigate={navigate} />
        ) : (
          <p className="muted" data-testid="no-replay">
            Replays are sent from a SQLite store, which keeps them with its events: this team store has none.
          </p>
        ))}

      <Body event={e} viaHttp={viaHttp} />
    </div>
  );
}

/** Where the event was forwarded (`serve --forward`): per downstream, its state and latest attempts. */
function Deliveries({ deliveries }: { deliveries: DeliveryView[] }) {
  return (
    <section className="panel deliveries">
      <h3>Forwarded</h3>
      {deliveries.map((d) => (
        <div key={d.id} className="delivery">
          <p>
            <span className="mono">{d.target}</span>{" "}
            <Badge tone={d.state === "delivered" ? "ok" : d.state === "pending" ? "warn" : "error"}>{d.state}</Badge>{" "}
            <span className="muted small">
              delivery {d.id}, {formatCount(d.attempts)} {d.attempts === 1 ? "attempt" : "attempts"}
              {d.next_at !== null ? `, next attempt ${formatTimestamp(d.next_at)}` : ""}
            </span>
          </p>
          {d.gave_up_reason && <p className="reason">{d.gave_up_reason}</p>}
          {d.recent.length > 0 && (
            <table className="attempts">
              <thead>
                <tr>
                  <th>attempt</th>
                  <th>answer</th>
                  <th>latency</th>
                  <th>response</th>
                </tr>
              </thead>
              <tbody>
                {d.recent.map((a, i) => (
                  <tr key={i}>
                    <td className="mono">{formatTimestamp(a.at)}</td>
                    <td className="mono">{a.status ?? a.error ?? "no answer"}</td>
                    <td className="mono">{Math.round(a.latency_ms)} ms</td>
                    <td className="mono">{a.response}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </section>
  );
}

function Verification({ event: e }: { event: EventDetail }) {
  if (e.verified) return <Badge tone="ok">verified ({e.auth ?? "?"})</Badge>;
  if (e.source === "rejected") return <Badge tone="error">not verified{e.auth ? ` (${e.auth})` : ""}</Badge>;
  const why =
    e.auth === "none" ? "auth none" : e.auth === "import" ? "imported" : e.auth === "pull" ? "pulled over plain http" : e.auth ?? "no auth";
  return <Badge tone="warn">unverified ({why})</Badge>;
}

const TIME_CLAIMS = new Set(["exp", "iat", "nbf"]);

/** An object's fields as rows; `exp`, `iat` and `nbf` also as dates when `dates`. */
function JsonFields({ value, dates }: { value: JsonValue | null; dates?: boolean }) {
  if (value === null) return <p className="muted small">not present</p>;
  if (typeof value !== "object" || Array.isArray(value)) return <pre className="mono">{jsonText(value)}</pre>;
  const entries = Object.entries(value);
  if (entries.length === 0) return <p className="muted small">empty</p>;
  return (
    <table className="jwt-fields">
      <tbody>
        {entries.map(([k, v]) => {
          const date = dates && TIME_CLAIMS.has(k) ? formatUnixSeconds(v) : null;
          return (
            <tr key={k}>
              <th className="mono">{k}</th>
              <td className="mono">
                {jsonText(v)}
                {date && <span className="muted"> = {date}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Body({ event: e, viaHttp }: { event: EventDetail; viaHttp: boolean }) {
  const tree = e.body !== null && typeof e.body === "object";
  const [mode, setMode] = useState<"tree" | "raw">(tree ? "tree" : "raw");
  const command = sendCommand(e.path, e.body_text, viaHttp);
  return (
    <section className="panel body">
      <h3>
        Body <span className="muted small">{formatBytes(e.body_bytes)}</span>
        {e.body_truncated && <Badge tone="warn">truncated: only the first part was kept</Badge>}
        {e.body === null && e.body_text !== "" && <Badge tone="warn">not JSON</Badge>}
      </h3>
      <div className="toolbar">
        {tree && (
          <div role="group" aria-label="Body view" className="toggle">
            <button type="button" aria-pressed={mode === "tree"} onClick={() => setMode("tree")}>
              Tree
            </button>
            <button type="button" aria-pressed={mode === "raw"} onClick={() => setMode("raw")}>
              Raw
            </button>
          </div>
        )}
        <CopyButton text={e.body_text} label="Copy as JSON" />
        <CopyButton text={command} label="Copy as logbook send command" />
      </div>
      {mode === "tree" && tree ? (
        <div className="json-tree mono">
          <JsonView data={e.body as object} shouldExpandNode={(level) => level < 3} style={JSON_STYLES} />
        </div>
      ) : (
        <pre className="raw-body mono">{e.body_text}</pre>
      )}
      <details className="send-command">
        <summary>Send it again with logbook send</summary>
        <p className="muted small">
          Paste into bash: it writes the body to body.json and posts it, signed with your secret, to a receiver on this
          machine{viaHttp ? " at the same path" : ""}.
          {e.body_truncated && " The body was truncated when it was kept, so this sends only its first part."}
        </p>
        <pre className="mono" data-testid="send-command">
          {command}
        </pre>
      </details>
    </section>
  );
}
