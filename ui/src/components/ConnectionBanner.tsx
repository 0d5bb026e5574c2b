// What to do when the page lost Logbook: it is not running, or it was restarted and no longer knows
// this page (each launch has its own token). Exact steps, with the address of this page; the page
// reconnects by itself once Logbook answers again.
import type { LiveState } from "../api/client";

export function ConnectionBanner(props: { state: LiveState; origin: string; desktop: boolean }) {
  if (props.state === "down") {
    return (
      <div className="error-banner connection-banner" role="alert" data-testid="connection-banner" data-state="down">
        <strong>Logbook is not running{props.desktop ? "" : ` at ${props.origin}`}.</strong>
        <div className="detail">
          {props.desktop ? (
            "Reopen the app."
          ) : (
            <>
              Start it again with <code>logbook serve</code>. This page reconnects by itself once it answers; what you
              are looking at stays here meanwhile.
            </>
          )}
        </div>
      </div>
    );
  }
  if (props.state === "signed_out") {
    return (
      <div className="error-banner connection-banner" role="alert" data-testid="connection-banner" data-state="signed_out">
        <strong>Logbook was restarted, so this page has to sign in again.</strong>
        <div className="detail">
          Each start of <code>logbook serve</code> prints a new address with a one-time key: open the line{" "}
          <code>open {props.origin}/?token=…</code> from its terminal, in this tab or another. Every open tab then works
          again by itself.
        </div>
      </div>
    );
  }
  return null;
}
