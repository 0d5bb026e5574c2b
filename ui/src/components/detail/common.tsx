// Small building blocks shared by the detail views: the loading and error states (records load
// through `useAsync` in hooks.ts), links inside the app and out of it, and JSON blocks. (Copy buttons are
// components/CopyButton.)
//
// Payload text is untrusted: everything here renders it as React text children. The one place a
// payload value becomes an attribute that loads or opens something is `ExternalLink`, and it only
// takes http(s) URLs (see `safeHttpUrl`).
import { describeError } from "../ErrorBanner";
import type { ReactNode } from "react";
import { ClientError } from "../../api";
import type { JsonValue } from "../../api/types/serde_json/JsonValue";
import { routeToHash, type Navigate, type Route } from "../../routes";
import { safeHttpUrl } from "../../format";
import "./detail.css";

export function Loading({ what }: { what: string }) {
  return (
    <div className="detail-loading muted" role="status" aria-live="polite">
      Loading {what}…
    </div>
  );
}

/** An error as a sentence; `notFound` is the sentence for kind `not_found`. */
export function ErrorNote({ error, notFound }: { error: ClientError; notFound: string }) {
  // Connection problems are told as the rest of the UI tells them: what is wrong and what to do.
  const connection = error.kind === "unavailable" || error.kind === "unauthorized" ? describeError(error) : null;
  const sentence = error.kind === "not_found" ? notFound : connection ? connection.title : error.message || "Something went wrong.";
  return (
    <div className="panel detail-error" role="alert">
      <p>{sentence}</p>
      {connection ? <p className="muted">{connection.hint}</p> : null}
      {!connection && error.kind !== "not_found" && (
        <p className="muted">({error.kind})</p>
      )}
    </div>
  );
}

/**
 * A link to another view: a real `href` (so it can be opened in a new tab) whose plain click goes
 * through `navigate`.
 */
export function RouteLink(props: {
  to: Route;
  navigate: Navigate;
  children: ReactNode;
  className?: string;
  title?: string;
}) {
  const { to, navigate, children, className, title } = props;
  return (
    <a
      href={routeToHash(to)}
      className={className}
      title={title}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/**
 * A URL from a payload: a link that opens in a new tab when it is http(s), otherwise the text and
 * nothing else (a `javascript:` or `data:` URL is shown, never followed).
 */
export function ExternalLink({ url, children }: { url: string | null | undefined; children?: ReactNode }) {
  if (!url) return null;
  const safe = safeHttpUrl(url);
  if (!safe) {
    return (
      <span className="mono unsafe-url" title="Not a web address: shown as text only">
        {children ? (
          <>
            {children} <span className="muted">({url})</span>
          </>
        ) : (
          url
        )}
      </span>
    );
  }
  return (
    <a href={safe} target="_blank" rel="noopener noreferrer" className="external-link">
      {children ?? url}
    </a>
  );
}

/** A JSON value, pretty-printed, as text. */
export function JsonBlock({ value, className }: { value: JsonValue | undefined; className?: string }) {
  return <pre className={`json-block mono ${className ?? ""}`}>{JSON.stringify(value ?? null, null, 2)}</pre>;
}

/** Label/value rows. Rows whose value is `undefined` are left out; `null` shows an em dash. */
export function Facts({ rows, className }: { rows: Array<[string, ReactNode | null | undefined, string?]>; className?: string }) {
  return (
    <dl className={`facts ${className ?? ""}`}>
      {rows
        .filter(([, value]) => value !== undefined)
        .map(([label, value, title]) => (
          <div className="fact" key={label} title={title}>
            <dt>{label}</dt>
            <dd>{value === null || value === "" ? <span className="muted">—</span> : value}</dd>
          </div>
        ))}
    </dl>
  );
}

/** A severity or state badge using the shell's badge classes. */
export function Badge({ tone, children, title }: { tone?: "ok" | "warn" | "error"; children: ReactNode; title?: string }) {
  return (
    <span className={`badge${tone ? ` badge-${tone}` : ""}`} title={title}>
      {children}
    </span>
  );
}

/** HTTP headers, a row each, as received: names and values are text (a request's, an answer's). */
export function HeadersTable({ headers }: { headers: Array<[string, string]> }) {
  return (
    <table className="headers">
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={i}>
            <th className="mono">{name}</th>
            <td className="mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
