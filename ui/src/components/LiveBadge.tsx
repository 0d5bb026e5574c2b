// Whether live updates are flowing.
import type { LiveState } from "../api/client";

const TEXT: Record<LiveState, { label: string; cls: string; title: string }> = {
  connecting: { label: "connecting", cls: "badge-warn", title: "Connecting to Logbook for live updates…" },
  live: { label: "live", cls: "badge-ok", title: "Live: new requests appear as they arrive" },
  reconnecting: {
    label: "reconnecting",
    cls: "badge-error",
    title: "The live connection dropped; reconnecting. Nothing is lost: it resumes from the last request seen.",
  },
  closed: { label: "offline", cls: "", title: "Live updates are off" },
  down: { label: "Logbook not running", cls: "badge-error", title: "Logbook does not answer: start it again; this page reconnects by itself." },
  signed_out: {
    label: "signed out",
    cls: "badge-error",
    title: "Logbook was restarted: open the address it printed (with ?token=…) to sign in again.",
  },
};

export function LiveBadge(props: { state: LiveState }) {
  const t = TEXT[props.state];
  return (
    <span
      className={`badge live-badge ${t.cls}`}
      data-testid="live-badge"
      data-state={props.state}
      title={t.title}
      role="status"
      aria-live="polite"
    >
      {t.label}
    </span>
  );
}
