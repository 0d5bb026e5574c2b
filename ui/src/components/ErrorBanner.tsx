// Errors from the core as sentences a person understands.
import type { ReactNode } from "react";
import { ClientError } from "../api/client";

export interface ErrorText {
  title: string;
  hint: ReactNode;
  /** Whether the error's own message adds nothing to the title and hint (connection problems). */
  hideMessage?: boolean;
}

/** What to tell the user about an error, by its kind. */
export function describeError(error: ClientError): ErrorText {
  switch (error.kind) {
    case "unavailable":
      return {
        title: "Logbook is not running or not reachable",
        hint: (
          <>
            Start it with <code>logbook serve</code> (or reopen the desktop app); this page reconnects by itself.
          </>
        ),
        hideMessage: true,
      };
    case "unauthorized":
      return {
        title: "This page is not signed in",
        hint: (
          <>
            Open the address <code>logbook serve</code> printed when it last started: it ends in{" "}
            <code>?token=…</code>, which signs this browser in.
          </>
        ),
        hideMessage: true,
      };
    case "forbidden":
      return {
        title: "Logbook refused this request",
        hint: (
          <>
            Open the page from the address <code>logbook serve</code> printed.
          </>
        ),
      };
    case "timeout":
      return {
        title: "The search took too long",
        hint: "Narrow it: pick a shorter time range or add a qualifier such as kind:call.",
      };
    case "not_found":
      return { title: "Not found", hint: null };
    case "bad_query":
      return { title: "The search is not valid", hint: null };
    case "bad_request":
      return { title: "Logbook could not answer that request", hint: null };
    default:
      return { title: "Something went wrong", hint: null };
  }
}

export function ErrorBanner(props: { error: unknown; onRetry?: () => void; children?: ReactNode }) {
  const error = ClientError.from(props.error);
  const { title, hint, hideMessage } = describeError(error);
  return (
    <div className="error-banner" role="alert" data-testid="error">
      <strong>{title}</strong>
      {error.message && error.message !== title && !hideMessage ? <div className="detail">{error.message}</div> : null}
      {hint ? <div className="detail">{hint}</div> : null}
      {props.children}
      {props.onRetry ? (
        <div style={{ marginTop: 8 }}>
          <button className="btn" type="button" onClick={props.onRetry}>
            Try again
          </button>
        </div>
      ) : null}
    </div>
  );
}
