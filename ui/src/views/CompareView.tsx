// Compare: two events' bodies side by side as a structural diff (the core's, as `logbook diff`
// prints it): each change with its path, what it was and what it became. Values are JSON text,
// rendered as text.
import { useState } from "react";
import { api } from "../api";
import type { Navigate } from "../routes";
import { Badge, ErrorNote, Loading, RouteLink } from "../components/detail/common";
import { useAsync } from "../hooks";
import { changePath, changeValue } from "../replay";

export function CompareView(props: { left?: string; right?: string; navigate: Navigate }) {
  const { navigate } = props;
  const [left, setLeft] = useState(props.left ?? "");
  const [right, setRight] = useState(props.right ?? "");
  const both = props.left !== undefined && props.right !== undefined;
  return (
    <div className="detail compare-view">
      <header className="detail-header">
        <h2>Compare two events</h2>
        <form
          className="compare-pick toolbar"
          onSubmit={(ev) => {
            ev.preventDefault();
            navigate({ view: "compare", left: left.trim() || undefined, right: right.trim() || undefined });
          }}
        >
          <input className="mono" aria-label="Left event" placeholder="event number or log_id" value={left} onChange={(e) => setLeft(e.target.value)} />
          <span aria-hidden>→</span>
          <input className="mono" aria-label="Right event" placeholder="event number or log_id" value={right} onChange={(e) => setRight(e.target.value)} />
          <button type="submit" disabled={left.trim() === "" || right.trim() === ""}>
            Compare
          </button>
        </form>
      </header>
      {both ? (
        <Diff left={props.left ?? ""} right={props.right ?? ""} navigate={navigate} />
      ) : (
        <p className="muted">Pick two events: two turns, two calls, or an original and its replay (its event view links here).</p>
      )}
    </div>
  );
}

function Diff({ left, right, navigate }: { left: string; right: string; navigate: Navigate }) {
  const loaded = useAsync(() => api.compare(left, right), [left, right]);
  if (loaded.error) return <ErrorNote error={loaded.error} notFound={`No event ${left} or ${right}.`} />;
  if (loaded.data === undefined) return <Loading what="comparison" />;
  const c = loaded.data;
  return (
    <section className="panel">
      <h3>
        <RouteLink navigate={navigate} to={{ view: "event", id: String(c.left.id) }}>
          Event #{c.left.id}
        </RouteLink>{" "}
        <span className="mono muted small">{c.left.kind}</span> →{" "}
        <RouteLink navigate={navigate} to={{ view: "event", id: String(c.right.id) }}>
          Event #{c.right.id}
        </RouteLink>{" "}
        <span className="mono muted small">{c.right.kind}</span>{" "}
        <span className="muted small" data-testid="change-count">
          {c.changes.length} {c.changes.length === 1 ? "change" : "changes"}
        </span>
      </h3>
      {c.changes.length === 0 ? (
        <p className="muted">The two bodies are the same JSON.</p>
      ) : (
        <table className="headers diff">
          <thead>
            <tr>
              <th>change</th>
              <th>path</th>
              <th>was</th>
              <th>is</th>
            </tr>
          </thead>
          <tbody>
            {c.changes.map((ch, i) => (
              <tr key={i} data-testid="change">
                <td>
                  <Badge tone={ch.kind === "added" ? "ok" : ch.kind === "removed" ? "error" : "warn"}>{ch.kind}</Badge>
                </td>
                <td className="mono" title={ch.pointer}>
                  {changePath(ch)}
                </td>
                <td className="mono">{ch.kind === "added" ? "" : changeValue(ch.old)}</td>
                <td className="mono">{ch.kind === "removed" ? "" : changeValue(ch.new)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
