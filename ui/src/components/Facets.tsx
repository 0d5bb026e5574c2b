// Facet counts beside a list. A click on a value adds its qualifier to the query (and a second
// click takes it out again).
import type { Facet } from "../api/types/Facet";
import type { Total } from "../api/types/Total";
import { formatCount } from "../format";
import { facetTerm, hasTerm } from "../query";

const LABELS: Record<string, string> = {
  kind: "Kind",
  intent: "Intent",
  action: "Action",
  type: "Response type",
  channel: "Channel",
  end_reason: "End reason",
  failed: "Failed",
  failure: "Failure reason",
  transferred: "Transferred",
  warning: "Warning",
  custom: "Custom data key",
};

export function Facets(props: {
  facets: Facet[];
  /** The list's total, to say what a sample is out of. */
  total?: Total | null;
  query: string;
  onToggle: (term: string) => void;
  /** On a narrow window the facets are a drawer over the list: whether it is open. */
  open?: boolean;
  onClose?: () => void;
}) {
  const shown = props.facets.filter((f) => f.values.length || f.timed_out || f.error);
  if (!shown.length) return null;
  return (
    <aside className={`facets${props.open ? " open" : ""}`} aria-label="Refine" data-testid="facets">
      {props.onClose ? (
        <div className="facets-drawer-head">
          <button type="button" className="btn" data-testid="facets-close" onClick={props.onClose}>
            Close
          </button>
        </div>
      ) : null}
      {shown.map((facet) => (
        <section className="facet" key={facet.name} data-testid={`facet-${facet.name}`}>
          <h3>
            {LABELS[facet.name] ?? facet.name}
            {facet.timed_out ? <span className="muted" style={{ textTransform: "none" }}> (timed out)</span> : null}
            {facet.sampled !== null && facet.sampled !== undefined ? (
              <span
                className="muted"
                style={{ textTransform: "none" }}
                title="These counts are of the newest matches only"
              >
                {" "}
                (newest {formatCount(facet.sampled)}
                {props.total && props.total.count > (facet.sampled ?? 0)
                  ? ` of ${props.total.exact ? "" : "about "}${formatCount(props.total.count)}`
                  : ""}
                )
              </span>
            ) : null}
          </h3>
          {facet.error ? <div className="muted">Could not count: {facet.error}</div> : null}
          <ul>
            {facet.values.map((v) => {
              const term = facetTerm(facet.name, v.value);
              const on = term !== null && hasTerm(props.query, term);
              return (
                <li key={v.value}>
                  <button
                    type="button"
                    className="facet-value"
                    data-testid={`facet-${facet.name}-${v.value}`}
                    aria-pressed={on}
                    disabled={term === null}
                    title={term ? (on ? `Remove ${term}` : `Add ${term}`) : "Rows without a value cannot be searched for"}
                    onClick={() => term && props.onToggle(term)}
                  >
                    <span className="label">
                      {v.label ?? v.value}
                      {v.label ? <span className="facet-id"> {v.value}</span> : null}
                    </span>
                    <span className="count">{formatCount(v.count)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </aside>
  );
}
