// Empty states: what to do next when a list has nothing to show.
import type { Status } from "../api/types/Status";

/** The command that sends the bundled samples to this receiver, signed as Watson would. */
export function sendSamplesCommand(receiverUrl: string | null | undefined): string {
  const url = (receiverUrl ?? "http://127.0.0.1:7420").replace(/\/+$/, "");
  return `logbook send --url ${url}/ --secret-file <your secret file> tests/samples`;
}

export function NoEventsYet(props: { status: Status | undefined }) {
  return (
    <div className="empty" data-testid="empty">
      <p>
        <strong>No events yet.</strong> Send the samples:
      </p>
      <pre className="code-block">{sendSamplesCommand(props.status?.receiver_url)}</pre>
      <p>
        or point Watson Assistant's log webhook at this receiver — the Status tab shows the URL to paste and the tunnel
        commands. Requests appear here the moment they arrive.
      </p>
    </div>
  );
}

/** What a list shows while the search cannot be run. */
export function FixTheSearch() {
  return (
    <div className="empty" data-testid="empty">
      <p>
        <strong>The search is not valid.</strong> The part in red under the search box is what Logbook could not read; fix
        it and press <kbd>Enter</kbd>, or press <kbd>?</kbd> beside the box for the list of qualifiers.
      </p>
    </div>
  );
}
