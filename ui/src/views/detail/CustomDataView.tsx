// The custom data injected into calls, browsed from the top: the keys seen across calls, one key's
// values, then the calls carrying key=value, each step one click, with a way out to the Calls list
// filtered by the same `custom.KEY:VALUE` query.
import { api } from "../../api";
import type { CallMatch } from "../../api/types/CallMatch";
import type { KeyCount } from "../../api/types/KeyCount";
import type { ValueCount } from "../../api/types/ValueCount";
import type { Navigate } from "../../routes";
import { ErrorNote, Loading, RouteLink } from "../../components/detail/common";
import { useAsync } from "../../hooks";
import { formatEndReason, formatMs, formatTimestamp, jsonText } from "../../format";
import { customTerm } from "../../query";

export function CustomDataView(props: { keyName?: string; value?: string; navigate: Navigate }) {
  const { keyName, value, navigate } = props;
  return (
    <div className="detail custom-view">
      <nav className="breadcrumbs" aria-label="Custom data">
        {keyName === undefined ? (
          <strong>Custom data</strong>
        ) : (
          <RouteLink navigate={navigate} to={{ view: "custom" }}>
            Custom data
          </RouteLink>
        )}
        {keyName !== undefined && (
          <>
            {" › "}
            {value === undefined ? (
              <strong className="mono">{keyName}</strong>
            ) : (
              <RouteLink navigate={navigate} to={{ view: "custom", key: keyName }}>
                <span className="mono">{keyName}</span>
              </RouteLink>
            )}
          </>
        )}
        {keyName !== undefined && value !== undefined && (
          <>
            {" › "}
            <strong className="mono">{value}</strong>
          </>
        )}
      </nav>
      {keyName === undefined ? (
        <Keys navigate={navigate} />
      ) : value === undefined ? (
        <Values keyName={keyName} navigate={navigate} />
      ) : (
        <Calls keyName={keyName} value={value} navigate={navigate} />
      )}
    </div>
  );
}

function Keys({ navigate }: { navigate: Navigate }) {
  const loaded = useAsync<KeyCount[]>(() => api.customKeys(), []);
  if (loaded.error) return <ErrorNote error={loaded.error} notFound="No custom data found." />;
  if (loaded.data === undefined) return <Loading what="custom data keys" />;
  const keys = loaded.data;
  if (keys.length === 0) {
    return <p className="empty">No call record carries injected custom data yet.</p>;
  }
  return (
    <section className="panel">
      <h2>Keys across calls</h2>
      <table className="custom-table">
        <thead>
          <tr>
            <th>key</th>
            <th className="num">calls</th>
            <th className="num">distinct values</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.key}>
              <td className="mono">
                <RouteLink navigate={navigate} to={{ view: "custom", key: k.key }}>
                  {k.key}
                </RouteLink>
              </td>
              <td className="num">{k.calls}</td>
              <td className="num">{k.distinct_values}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CallsListLink({ keyName, value, navigate, children }: { keyName: string; value?: string; navigate: Navigate; children: string }) {
  const q = customTerm(keyName, value);
  if (q === null) {
    const why = value === "" ? "This value is empty" : "This key holds a space or a colon";
    return <p className="muted small">{why}, so the Calls list cannot be filtered by it.</p>;
  }
  return (
    <p>
      <RouteLink navigate={navigate} to={{ view: "calls", q }}>
        {children}
      </RouteLink>{" "}
      <span className="mono muted small">{q}</span>
    </p>
  );
}

function Values({ keyName, navigate }: { keyName: string; navigate: Navigate }) {
  const loaded = useAsync<ValueCount[]>(() => api.customValues(keyName), [keyName]);
  if (loaded.error) return <ErrorNote error={loaded.error} notFound={`No call carries the custom data key ${keyName}.`} />;
  if (loaded.data === undefined) return <Loading what={`values of ${keyName}`} />;
  const values = loaded.data;
  return (
    <section className="panel">
      <h2>
        Values of <span className="mono">{keyName}</span>
      </h2>
      <CallsListLink keyName={keyName} navigate={navigate}>
        All calls with this key in the Calls list
      </CallsListLink>
      {values.length === 0 ? (
        <p className="empty">No call carries this key.</p>
      ) : (
        <table className="custom-table">
          <thead>
            <tr>
              <th>value</th>
              <th className="num">calls</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v, i) => (
              <tr key={i}>
                <td className="mono">
                  <RouteLink navigate={navigate} to={{ view: "custom", key: keyName, value: jsonText(v.value, true) }}>
                    {jsonText(v.value)}
                  </RouteLink>
                </td>
                <td className="num">{v.calls}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Calls({ keyName, value, navigate }: { keyName: string; value: string; navigate: Navigate }) {
  const loaded = useAsync<CallMatch[]>(() => api.customCalls(keyName, value), [keyName, value]);
  if (loaded.error) return <ErrorNote error={loaded.error} notFound={`No call carries ${keyName}=${value}.`} />;
  if (loaded.data === undefined) return <Loading what="calls" />;
  const calls = loaded.data;
  return (
    <section className="panel">
      <h2>
        Calls with <span className="mono">
          {keyName}={value}
        </span>
      </h2>
      <CallsListLink keyName={keyName} value={value} navigate={navigate}>
        Open these calls in the Calls list
      </CallsListLink>
      {calls.length === 0 ? (
        <p className="empty">No call carries this value.</p>
      ) : (
        <table className="custom-table">
          <thead>
            <tr>
              <th>call</th>
              <th>start</th>
              <th>caller</th>
              <th className="num">duration</th>
              <th>end reason</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.event_id}>
                <td className="mono">
                  <RouteLink navigate={navigate} to={{ view: "call", id: c.global_session_id ?? String(c.event_id) }}>
                    {c.global_session_id ?? `event ${c.event_id}`}
                  </RouteLink>
                </td>
                <td title={c.start_ts ?? undefined}>{formatTimestamp(c.start_ts ?? c.start_at)}</td>
                <td className="mono">{c.caller ?? "—"}</td>
                <td className="num">{formatMs(c.duration_ms)}</td>
                <td>{formatEndReason(c.end_reason) || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
