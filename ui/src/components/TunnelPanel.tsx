// The desktop app's tunnel helper: Watson only calls https URLs, so one button starts cloudflared
// or ngrok (whichever is installed; a chooser when both are) towards the receiver and shows the
// public URL and the exact webhook URL of each endpoint to paste into Watson. When neither is
// installed, how to get one. Shown only in the app (`api.desktop`).
import { useState } from "react";
import type { ReactNode } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { TunnelStatus } from "../api/types/TunnelStatus";
import type { TunnelTool } from "../api/types/TunnelTool";
import { CopyLine } from "./CopyButton";
import { ErrorBanner } from "./ErrorBanner";
import { useAsync } from "../hooks";

export function TunnelPanel() {
  const desktop = api.desktop;
  const loaded = useAsync(() => (desktop ? desktop.tunnelStatus() : Promise.resolve(null)), []);
  // The answer of the last start or stop, newer than what was loaded.
  const [latest, setLatest] = useState<TunnelStatus | null>(null);
  const [tool, setTool] = useState<TunnelTool | null>(null);
  const [busy, setBusy] = useState<"starting" | "stopping" | null>(null);
  const [error, setError] = useState<ClientError | null>(null);
  if (!desktop) return null;
  const status = latest ?? loaded.data;

  const act = async (what: "starting" | "stopping", run: () => Promise<TunnelStatus>) => {
    setBusy(what);
    setError(null);
    try {
      setLatest(await run());
    } catch (e) {
      setError(ClientError.from(e));
    } finally {
      setBusy(null);
    }
  };

  let body: ReactNode;
  if (!status) {
    body = loaded.error ? <ErrorBanner error={loaded.error} onRetry={loaded.reload} /> : <p className="muted">Loading…</p>;
  } else if (status.running) {
    const running = status.running;
    body = (
      <>
        <p style={{ marginTop: 0 }}>
          <span className="badge badge-ok">{running.tool}</span> forwards{" "}
          <code data-testid="tunnel-public-url">{running.public_url}</code> to <code>{running.local_url}</code>.
        </p>
        <div className="muted">
          Paste into Watson (Log webhook › URL){running.webhook_urls.length > 1 ? ", one per environment" : ""}:
        </div>
        {running.webhook_urls.map((url) => (
          <CopyLine key={url} text={url} testId="copy-webhook-url" />
        ))}
        <button
          type="button"
          className="btn"
          data-testid="tunnel-stop"
          disabled={busy !== null}
          onClick={() => void act("stopping", () => desktop.stopTunnel())}
        >
          {busy === "stopping" ? "Stopping…" : "Stop tunnel"}
        </button>
      </>
    );
  } else if (status.installed.length === 0) {
    body = (
      <p className="muted" style={{ marginTop: 0 }} data-testid="tunnel-install-hint">
        {status.install_hint ?? "Neither cloudflared nor ngrok is installed."}
      </p>
    );
  } else {
    const chosen = tool && status.installed.includes(tool) ? tool : status.installed[0];
    body = (
      <>
        <p style={{ marginTop: 0 }} className="muted">
          Starts {status.installed.length > 1 ? "a tunnel" : <code>{chosen}</code>} towards the receiver and shows the
          public https URL to paste into Watson. It stops when the app quits.
        </p>
        <div className="tunnel-start">
          {status.installed.length > 1 ? (
            <select
              aria-label="Tunnel tool"
              data-testid="tunnel-tool"
              value={chosen}
              disabled={busy !== null}
              onChange={(e) => setTool(e.target.value as TunnelTool)}
            >
              {status.installed.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          ) : null}
          <button
            type="button"
            className="btn btn-primary"
            data-testid="tunnel-start"
            disabled={busy !== null}
            onClick={() => void act("starting", () => desktop.startTunnel(chosen))}
          >
            {busy === "starting" ? `Starting ${chosen}…` : "Start tunnel"}
          </button>
        </div>
      </>
    );
  }

  return (
    <section className="panel" data-testid="tunnel-panel">
      <h2>Tunnel</h2>
      {body}
      {error ? (
        <div className="error-text" role="alert" data-testid="tunnel-error" style={{ whiteSpace: "pre-wrap" }}>
          {error.message}
        </div>
      ) : null}
    </section>
  );
}
