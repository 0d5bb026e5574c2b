// Why the desktop app is not receiving, said prominently, with the fix when there is one: a port
// taken by another program (use the free one the app found), or a database `logbook serve` already
// writes (this window only reads it). Only the desktop app has a receiver problem to show.
import { useState } from "react";
import type { ReactNode } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { SettingsView } from "../api/types/SettingsView";

export function ReceiverProblemBanner(props: {
  view: SettingsView;
  /** Called with the answer of the save that fixed it (the receiver's new state). */
  onSaved: (view: SettingsView) => void;
  /** Hides the link to Settings (on the Settings view itself). */
  inSettings?: boolean;
}) {
  const { view, onSaved } = props;
  const problem = view.receiver.problem;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  if (!problem) return null;
  const desktop = api.desktop;

  const usePort = async (port: number) => {
    if (!desktop) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await desktop.saveSettings({ ...view.settings, port }));
    } catch (e) {
      setError(ClientError.from(e));
    } finally {
      setBusy(false);
    }
  };

  let title: ReactNode;
  let detail: ReactNode = problem.message;
  let action: ReactNode = null;
  switch (problem.kind) {
    case "port_taken":
      title = `Port ${view.settings.port} is taken by another program`;
      detail = "Nothing is received until the receiver has a port of its own; a tunnel must then point at the new port.";
      action =
        problem.suggested_port !== null ? (
          <button
            type="button"
            className="btn btn-primary"
            data-testid="use-suggested-port"
            disabled={busy}
            onClick={() => void usePort(problem.suggested_port as number)}
          >
            {busy ? "Switching…" : `Use port ${problem.suggested_port} instead`}
          </button>
        ) : null;
      break;
    case "read_only":
      title = (
        <>
          <code>logbook serve</code> is already receiving into this database: this window only reads it
        </>
      );
      detail = (
        <>
          Everything it receives shows up here. To receive in the app instead, stop <code>logbook serve</code> and
          restart the app.
        </>
      );
      break;
    default:
      title = "Not receiving: the settings need attention";
      break;
  }

  return (
    <div className="problem-banner" role="alert" data-testid="receiver-problem" data-kind={problem.kind}>
      <strong>{title}</strong>
      <div className="problem-detail">{detail}</div>
      {action || !props.inSettings ? (
        <div className="problem-actions">
          {action}
          {!props.inSettings ? (
            <a href="#/settings" data-testid="problem-settings-link">
              Settings
            </a>
          ) : null}
        </div>
      ) : null}
      {error ? (
        <div className="problem-detail error-text" data-testid="problem-error">
          {error.message}
        </div>
      ) : null}
    </div>
  );
}
