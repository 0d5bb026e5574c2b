// Where Watson Assistant should send its logs and what has arrived: the receiver's address, how
// each endpoint verifies requests, the URL to paste into Watson, the tunnel commands, the counts.
// In the desktop app also why the receiver is not running (with the fix when there is one) and the
// tunnel helper.
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { SettingsView } from "../api/types/SettingsView";
import type { EndpointInfo } from "../api/types/EndpointInfo";
import type { OutboxStats } from "../api/types/OutboxStats";
import type { ProjectionStats } from "../api/types/ProjectionStats";
import type { Status } from "../api/types/Status";
import { CopyButton, CopyLine } from "../components/CopyButton";
import { ErrorBanner } from "../components/ErrorBanner";
import { ReceiverProblemBanner } from "../components/ReceiverProblem";
import { PullPanel } from "../components/PullPanel";
import { TunnelPanel } from "../components/TunnelPanel";
import { formatBytes, formatCount, formatDateTime, formatMs, rebuildShare } from "../format";
import { useAsync } from "../hooks";
import type { LiveFeed } from "../liveFeed";
import { useLiveRows } from "../liveFeed";
import { sendSamplesCommand } from "../components/EmptyStates";

/** The counts refresh after arrivals, at most this often. */
const REFRESH_MS = 2_000;

const MODES: Record<string, string> = {
  jwt: "Watson's JWT, verified with the endpoint's secret (HS256/384/512)",
  header: "the whole Authorization header compared with a configured value",
  none: "accepts everything; events are marked unverified",
};

/** The receiver's URL for an endpoint path (`null`: any path). */
export function endpointUrl(receiverUrl: string, path: string | null): string {
  const base = receiverUrl.replace(/\/+$/, "");
  if (!path) return `${base}/`;
  return `${base}${path.startsWith("/") ? "" : "/"}${path}`;
}

/** What to paste into Watson: the tunnel's https address with the endpoint's path. */
export function watsonUrl(path: string | null): string {
  const p = !path ? "/" : path.startsWith("/") ? path : `/${path}`;
  return `https://<your tunnel address>${p}`;
}

function Endpoint(props: { receiverUrl: string | null; endpoint: EndpointInfo }) {
  const { receiverUrl, endpoint } = props;
  return (
    <div style={{ marginBottom: 12 }} data-testid="endpoint">
      <div>
        <strong className="mono">{endpoint.path ?? "any path"}</strong>{" "}
        <span className="badge" title={MODES[endpoint.mode] ?? endpoint.mode}>
          {endpoint.mode}
        </span>{" "}
        <span className="muted">{MODES[endpoint.mode] ?? ""}</span>
      </div>
      {receiverUrl ? (
        <>
          <div className="muted" style={{ marginTop: 4 }}>
            Local URL (for <code>logbook send</code> and the tunnel):
          </div>
          <CopyLine text={endpointUrl(receiverUrl, endpoint.path)} testId="copy-local-url" />
          <div className="muted">Paste into Watson (Log webhook › URL):</div>
          <CopyLine text={watsonUrl(endpoint.path)} testId="copy-watson-url" />
        </>
      ) : null}
    </div>
  );
}

function Count(props: { n: number | null | undefined; label: string; testId: string }) {
  return (
    <div className="count-box" data-testid={props.testId}>
      <div className="n">{formatCount(props.n ?? 0)}</div>
      <div className="label">{props.label}</div>
    </div>
  );
}

/** Why nothing is received, in words that fit where the UI runs. */
function NotReceiving() {
  if (api.desktop) {
    return (
      <p className="muted" style={{ marginTop: 0 }} data-testid="not-receiving">
        Not receiving webhooks: the app reads the database but its receiver is not running (the message above says why).
        Its port and endpoints are in <a href="#/settings">Settings</a>.
      </p>
    );
  }
  return (
    <p className="muted" style={{ marginTop: 0 }} data-testid="not-receiving">
      Not receiving webhooks: this process only reads the database. Start the receiver with <code>logbook serve</code>.
    </p>
  );
}

/** Where the receiver stores, when not into the store this page shows (the desktop app showing a
 *  team store goes on receiving into this computer's file). */
function ReceiverDatabase({ status }: { status: Status }) {
  if (!status.receiver_database) return null;
  return (
    <p className="team-store-showing" data-testid="receiver-database">
      This page shows the team store <code>PostgreSQL {status.database}</code>. This app's receiver stores what it
      receives into this computer's store, <code>{status.receiver_database}</code>, which the views show again when you
      go back to it (<a href="#/settings">Settings</a> › Team store).
    </p>
  );
}

/** How far the derived rows (lists, conversations, calls, search) have come: every request is on
 *  Live as soon as it is acknowledged; the rest follows as its body is derived. */
export function Projection({ projection }: { projection: ProjectionStats }) {
  const { pending, rebuilding_through: target, projected_through: done } = projection;
  if (target != null) {
    const share = rebuildShare(done, target);
    return (
      <span>
        rebuilding from the stored bodies: {formatCount(done)} of {formatCount(target)} events ({share}%); lists fill in
        as it goes
        <GivingWay since={projection.giving_way_since} />
      </span>
    );
  }
  if (pending === 0) return <span>every event (deriver v{projection.deriver_version})</span>;
  const behind = projection.oldest_pending_at != null ? Math.max(0, Date.now() - projection.oldest_pending_at) : null;
  return (
    <span>
      {formatCount(pending)} {pending === 1 ? "event" : "events"} still to derive
      {behind != null ? <span className="muted"> · {formatMs(behind)} behind</span> : null}
      <GivingWay since={projection.giving_way_since} />
    </span>
  );
}

/** Projection waits while a burst of requests is acknowledged (acknowledgements come first), for
 *  at most 10 s at a time, and catches up after. */
function GivingWay({ since }: { since: number | null }) {
  if (since == null) return null;
  return (
    <span className="muted" data-testid="giving-way">
      {" "}
      · paused for {formatMs(Math.max(0, Date.now() - since))} while a burst of requests is acknowledged
    </span>
  );
}

function StatusBody({ status }: { status: Status }) {
  const s = status.stats;
  const receiver = status.receiver_url;
  const endpoints = status.endpoints.length ? status.endpoints : [{ path: null, mode: "jwt" }];
  return (
    <div className="status-grid">
      <section className="panel">
        <h2>Receiver</h2>
        {receiver ? (
          <>
            <p style={{ marginTop: 0 }}>
              Receiving webhooks at <code data-testid="receiver-url">{receiver}</code>
              {status.max_body_bytes ? <span className="muted"> · bodies up to {formatBytes(status.max_body_bytes)}</span> : null}
            </p>
            <ReceiverDatabase status={status} />
            {endpoints.map((e) => (
              <Endpoint key={e.path ?? "*"} receiverUrl={receiver} endpoint={e} />
            ))}
          </>
        ) : (
          <>
            <NotReceiving />
            <ReceiverDatabase status={status} />
          </>
        )}
      </section>

      {api.desktop ? <TunnelPanel key={receiver ?? "off"} /> : null}

      <section className="panel">
        <h2>Connect Watson Assistant</h2>
        <p style={{ marginTop: 0 }}>
          Watson only calls <strong>https</strong> URLs, so expose the receiver through a tunnel. Each of these prints a
          public <code>https://…</code> address; paste that address, followed by the endpoint's path, into Watson
          Assistant: <em>Environments › (your environment) › settings › Webhooks › Log webhook</em>, with{" "}
          {api.desktop ? (
            <>
              the endpoint's secret (<a href="#/settings">Settings</a> › Show)
            </>
          ) : (
            "the same secret as your secret file"
          )}
          , and tick <em>Subscribe to CDR</em> for phone calls.
        </p>
        {status.tunnel_commands.length ? (
          status.tunnel_commands.map((c) => <CopyLine key={c} text={c} testId="copy-tunnel" />)
        ) : (
          <p className="muted">No tunnel commands: the receiver is not running.</p>
        )}
        <p className="muted">No Watson instance at hand? Send the samples, signed as Watson would:</p>
        <CopyLine text={sendSamplesCommand(receiver)} testId="copy-send" />
      </section>

      {/* Pulls are kept with a SQLite store's events: a team's store has none to offer. */}
      {status.team ? null : <PullPanel />}

      <section className="panel">
        <h2>{status.team ? "Received by the team store" : "Received"}</h2>
        <div className="counts">
          <Count n={s.accepted_total} label="accepted (200)" testId="count-accepted" />
          <Count n={s.rejected_total} label="rejected" testId="count-rejected" />
          <Count n={s.duplicates_total} label="duplicates" testId="count-duplicates" />
          <Count n={s.events} label="events stored" testId="count-events" />
          <Count n={s.conversations} label="conversations" testId="count-conversations" />
          <Count n={s.calls} label="calls" testId="count-calls" />
        </div>
        <dl className="kv" style={{ marginTop: 12 }}>
          <dt>messages</dt>
          <dd>{formatCount(s.messages)}</dd>
          <dt>rejections kept</dt>
          <dd>{formatCount(s.rejections_kept)}</dd>
          <dt>first received</dt>
          <dd>{s.first_received_at ? formatDateTime(s.first_received_at) : "—"}</dd>
          <dt>last received</dt>
          <dd>{s.last_received_at ? formatDateTime(s.last_received_at) : "—"}</dd>
          <dt>derived</dt>
          <dd data-testid="projection">
            <Projection projection={s.projection} />
          </dd>
        </dl>
      </section>

      {s.forwarding.length > 0 ? <Forwarding outboxes={s.forwarding} /> : null}

      <section className="panel">
        <h2>Logbook</h2>
        <dl className="kv">
          <dt>version</dt>
          <dd>{status.version}</dd>
          <dt>{status.team ? "team store" : "database"}</dt>
          <dd>
            <span className="mono" data-testid="status-database">
              {status.team ? `PostgreSQL ${status.database}` : status.database}
            </span>{" "}
            <CopyButton text={status.database} />
          </dd>
          <dt>size</dt>
          <dd>{formatBytes(s.database_bytes)}</dd>
          {status.receiver_database ? (
            <>
              <dt>this computer's database</dt>
              <dd>
                <span className="mono">{status.receiver_database}</span> (where this app's receiver stores)
              </dd>
            </>
          ) : null}
        </dl>
      </section>
    </div>
  );
}

/** Each downstream's outbox: what it delivered, what waits, and what it gave up and why. */
export function Forwarding({ outboxes }: { outboxes: OutboxStats[] }) {
  return (
    <section className="panel" data-testid="forwarding">
      <h2>Forwarding</h2>
      <dl className="kv">
        {outboxes.map((o) => (
          <div key={o.target} style={{ display: "contents" }}>
            <dt className="mono" style={{ overflowWrap: "anywhere" }}>{o.target}</dt>
            <dd data-testid="forwarding-row">
              {formatCount(o.delivered)} delivered · {formatCount(o.pending)} waiting
              {o.oldest_pending_at !== null ? ` (since ${formatDateTime(o.oldest_pending_at)})` : ""} ·{" "}
              <span className={o.gave_up > 0 ? "error-text" : undefined}>{formatCount(o.gave_up)} given up</span>
            </dd>
          </div>
        ))}
      </dl>
      {outboxes
        .filter((o) => o.last_gave_up_reason !== null)
        .map((o) => (
          <p key={o.target} className="reason" data-testid="forwarding-gave-up">
            <span className="mono">{o.target}</span> last gave up {formatDateTime(o.last_gave_up_at)}: {o.last_gave_up_reason}
          </p>
        ))}
    </section>
  );
}

export function StatusView(props: { feed: LiveFeed }) {
  const status = useAsync(() => api.status(), []);
  const desktop = api.desktop;
  const receiver = useAsync(() => (desktop ? desktop.settings() : Promise.resolve(null)), []);
  const [fixed, setFixed] = useState<SettingsView | null>(null);
  const settingsView = fixed ?? receiver.data ?? null;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const refreshSoon = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      status.reload();
    }, REFRESH_MS);
  };
  useLiveRows(props.feed, refreshSoon);
  // While derived rows are behind (a rebuild, a burst), follow them even when nothing new arrives.
  const behind = (status.data?.stats.projection.pending ?? 0) > 0;
  useEffect(() => {
    if (behind) refreshSoon();
  });
  return (
    <div className="scroll-page" data-testid="status-view">
      {settingsView ? (
        <ReceiverProblemBanner
          view={settingsView}
          onSaved={(view) => {
            setFixed(view);
            status.reload();
          }}
        />
      ) : null}
      {status.error ? <ErrorBanner error={status.error} onRetry={status.reload} /> : null}
      {status.data ? <StatusBody status={status.data} /> : status.loading ? <p className="muted">Loading…</p> : null}
    </div>
  );
}
