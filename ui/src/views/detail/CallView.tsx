// One phone call's detail record (`cdr_logged`), opened: who called whom and how it ended, the SIP
// and RTP facts, the warnings explained, the turns as a latency chart and as a list linked to the
// messages they produced, and how the call's custom data was built turn by turn.
import { useEffect, useRef } from "react";
import { api } from "../../api";
import type { Call } from "../../api/types/Call";
import type { CallTurn } from "../../api/types/CallTurn";
import type { CustomValue } from "../../api/types/CustomValue";
import type { RtpStream } from "../../api/types/RtpStream";
import type { Warning } from "../../api/types/Warning";
import type { Navigate } from "../../routes";
import { Badge, ErrorNote, Facts, Loading, RouteLink } from "../../components/detail/common";
import { useAsync } from "../../hooks";
import { formatConfidence, formatEndReason, formatMs, formatPercent, formatTimestamp, jsonText, yesNo } from "../../format";
import { LatencyChart, turnTtsMs } from "../../components/detail/LatencyChart";

export function CallView(props: { id: string; turn?: number; navigate: Navigate }) {
  const { id, turn, navigate } = props;
  const loaded = useAsync(() => api.call(id), [id]);
  if (loaded.error) {
    return <ErrorNote error={loaded.error} notFound={`No call with global session id ${id}.`} />;
  }
  if (loaded.data === undefined) return <Loading what="call" />;
  return <CallBody call={loaded.data} turn={turn} navigate={navigate} />;
}

function CallBody({ call: c, turn, navigate }: { call: Call; turn?: number; navigate: Navigate }) {
  return (
    <div className="detail call-view">
      <header className="detail-header">
        <h2>
          Call <span className="mono">{c.global_session_id ?? `#${c.event_id}`}</span>
        </h2>
        <p className="call-parties">
          <span className="mono">{c.caller ?? "unknown caller"}</span> → <span className="mono">{c.callee ?? "unknown callee"}</span>
          {c.outbound && <Badge>outbound</Badge>}
        </p>
        <Facts
          rows={[
            ["start", formatTimestamp(c.start_ts ?? c.start_at), c.start_ts ?? undefined],
            ["duration", formatMs(c.duration_ms)],
            ["end reason", <EndReason call={c} />, c.end_reason_raw ? `as sent: ${c.end_reason_raw}` : undefined],
            ["failure", c.failure_occurred ? <Badge tone="error">failed</Badge> : yesNo(c.failure_occurred)],
            ["transfer", c.transfer_occurred ? <Badge tone="warn">transferred</Badge> : yesNo(c.transfer_occurred)],
            ["direction", c.outbound === null ? null : c.outbound ? "outbound" : "inbound"],
            ["active calls", c.active_calls === null ? null : String(c.active_calls), "Calls active when this one started"],
            ["trunk call id", c.trunk_call_id && <span className="mono">{c.trunk_call_id}</span>, "x-global-sip-trunk-call-id"],
            ["phone number", c.primary_phone_number && <span className="mono">{c.primary_phone_number}</span>],
            ["record", <RouteLink navigate={navigate} to={{ view: "event", id: String(c.event_id) }}>event {c.event_id}</RouteLink>],
          ]}
        />
        {c.failure_details && (
          <p className="failure-details" role="note">
            <Badge tone="error">failure</Badge> <span>{c.failure_details}</span>
          </p>
        )}
        {c.sessions.length > 0 && (
          <ul className="plain session-links">
            {c.sessions.map((s) => (
              <li key={s}>
                <RouteLink navigate={navigate} to={{ view: "conversation", id: s }}>
                  Open conversation
                </RouteLink>{" "}
                <span className="mono muted small">{s}</span>
              </li>
            ))}
          </ul>
        )}
      </header>

      {/* The turns and their latencies first (what a call page is opened for), the record's facts beside
          them on a wide window, below them on a narrow one. */}
      <div className="call-columns">
        <div className="call-main">
          <section className="panel">
            <h3>Turns</h3>
            {c.turns.length === 0 ? (
              <p className="empty">This record has no turns.</p>
            ) : (
              <>
                <LatencyChart turns={c.turns} />
                <ol className="call-turns plain">
                  {c.turns.map((t) => (
                    <CallTurnRow key={t.seq} turn={t} highlighted={turn === t.seq} navigate={navigate} />
                  ))}
                </ol>
              </>
            )}
          </section>

          <CustomData call={c} navigate={navigate} />
        </div>
        <div className="call-side">
          <section className="panel">
            <h3>Warnings and errors</h3>
            {c.warnings.length === 0 ? <p className="muted small">none</p> : <Warnings warnings={c.warnings} />}
          </section>

          <div className="detail-grid">
            <section className="panel">
              <h3>Security</h3>
              <div className="flags">
                <Flag label="media encrypted" value={c.security.media_encrypted} />
                <Flag label="signaling encrypted" value={c.security.signaling_encrypted} />
                <Flag label="SIP authenticated" value={c.security.sip_authenticated} />
              </div>
            </section>
            <section className="panel">
              <h3>SIP</h3>
              <Facts
                rows={[
                  ["call id", c.sip.call_id && <span className="mono">{c.sip.call_id}</span>],
                  ["invite arrival", formatTimestamp(c.sip.invite_arrival_ts), c.sip.invite_arrival_ts ?? undefined],
                  ["setup", formatMs(c.sip.setup_ms)],
                  ["from", c.sip.from_uri && <span className="mono">{c.sip.from_uri}</span>],
                  ["to", c.sip.to_uri && <span className="mono">{c.sip.to_uri}</span>],
                ]}
              />
            </section>
            <section className="panel">
              <h3>Slowest responses</h3>
              <Facts
                rows={[
                  ["assistant", formatMs(c.max_latency.assistant_ms)],
                  ["speech to text", formatMs(c.max_latency.stt_ms)],
                  ["text to speech", formatMs(c.max_latency.tts_ms)],
                ]}
              />
            </section>
          </div>
            <section className="panel rtp-panel">
              <h3>RTP</h3>
              {c.rtp ? (
                <table className="rtp">
                  <thead>
                    <tr>
                      <th>stream</th>
                      <th>jitter max / avg</th>
                      <th>lost / sent</th>
                      <th>loss</th>
                      <th>tool</th>
                    </tr>
                  </thead>
                  <tbody>
                    <RtpRow name="inbound" stream={c.rtp.inbound} />
                    <RtpRow name="outbound" stream={c.rtp.outbound} />
                  </tbody>
                </table>
              ) : (
                <p className="muted small">No RTCP summary in this record (RTCP was off).</p>
              )}
            </section>
        </div>
      </div>
    </div>
  );
}

function EndReason({ call: c }: { call: Call }) {
  if (!c.end_reason) return <span className="muted">—</span>;
  const tone = c.end_reason === "failed" ? "error" : c.end_reason.includes("transfer") ? "warn" : undefined;
  return (
    <Badge tone={tone} title={c.end_reason_raw ? `as sent: ${c.end_reason_raw}` : undefined}>
      {formatEndReason(c.end_reason)}
    </Badge>
  );
}

function Flag({ label, value }: { label: string; value: boolean | null }) {
  return (
    <span className={`flag ${value === null ? "flag-unknown" : value ? "flag-on" : "flag-off"}`}>
      <Badge tone={value ? "ok" : undefined}>
        {value === null ? "?" : value ? "✓" : "✗"} {label}
      </Badge>
    </span>
  );
}

function RtpRow({ name, stream: s }: { name: string; stream: RtpStream | null }) {
  if (!s) {
    return (
      <tr>
        <td>{name}</td>
        <td colSpan={4} className="muted">
          not reported
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <td>{name}</td>
      <td>
        {s.maximum_jitter ?? "—"} / {s.average_jitter ?? "—"} ms
      </td>
      <td>
        {s.packets_lost ?? "—"} / {s.packets_transmitted ?? "—"}
      </td>
      <td>{formatPercent(s.loss_percent)}</td>
      <td className="small" title={s.canonical_name ?? undefined}>
        {s.tool_name || <span className="muted">—</span>}
      </td>
    </tr>
  );
}

function severityTone(severity: string | null): "warn" | "error" | undefined {
  const s = (severity ?? "").toLowerCase();
  if (s.startsWith("err")) return "error";
  if (s.startsWith("warn")) return "warn";
  return undefined;
}

function Warnings({ warnings }: { warnings: Warning[] }) {
  return (
    <ul className="warnings plain">
      {warnings.map((w, i) => (
        <li key={i} className="warning">
          <Badge tone={severityTone(w.severity)}>{w.severity ?? "unknown"}</Badge> <span className="mono">{w.code ?? "(no code)"}</span>
          {w.component && <span className="muted"> · {w.component}</span>}
          <div>{w.explanation ?? w.message ?? ""}</div>
          {w.message && (
            <details className="small">
              <summary>full message</summary>
              <div className="warning-message mono">{w.message}</div>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

function CallTurnRow({ turn: t, highlighted, navigate }: { turn: CallTurn; highlighted: boolean; navigate: Navigate }) {
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (highlighted) ref.current?.scrollIntoView?.({ block: "center" });
  }, [highlighted]);
  const m = t.message;
  const tts = turnTtsMs(t);
  return (
    <li
      ref={ref}
      id={`call-turn-${t.seq}`}
      className={`call-turn${highlighted ? " turn-highlight" : ""}`}
      data-testid="call-turn"
      aria-current={highlighted ? "true" : undefined}
    >
      <div className="call-turn-head">
        <span className="turn-number">{t.seq + 1}</span>
        <span className="muted small" title={t.start_ts ?? undefined}>
          +{formatMs(t.offset_ms)}
        </span>
        <span className="request-type mono" title={t.request_meaning ?? undefined}>
          {t.request_type ?? "?"}
        </span>
        <span className="responses">
          {t.responses.map((r, i) => (
            <span
              key={i}
              className={`chip${r.barge_in ? " chip-barge" : ""}`}
              title={[r.tts_ms !== null ? `TTS ${formatMs(r.tts_ms)}` : "", r.barge_in ? "barged in" : ""].filter(Boolean).join(", ") || undefined}
            >
              {r.cdr_type} → {r.wa_type ?? "?"}
            </span>
          ))}
        </span>
        {t.barge_in && <Badge tone="warn">barge-in</Badge>}
        <span className="small muted">
          assistant {formatMs(t.assistant_ms)}
          {t.stt && ` · STT ${formatMs(t.stt.response_ms)}, confidence ${formatConfidence(t.stt.confidence)}`}
          {t.stt?.echo_detected && " · echo detected"}
          {tts !== null && ` · TTS ${formatMs(tts)}`}
        </span>
      </div>
      <div className="call-turn-message">
        {m ? (
          <RouteLink
            navigate={navigate}
            to={m.session_id ? { view: "conversation", id: m.session_id, turn: m.turn_count ?? undefined } : { view: "event", id: String(m.event_id) }}
            className="message-link"
            title="Open this message in its conversation"
          >
            <span className="turn-number">#{m.turn_count ?? "?"}</span>{" "}
            {m.user_text?.trim() ? <span className="said-user">“{m.user_text}”</span> : <span className="muted">(no user text)</span>}
            {" → "}
            <span className="said-assistant">{firstLine(m.assistant_text)}</span>
          </RouteLink>
        ) : (
          <span className="muted orphan">no message logged for this turn (log_id {t.log_id ?? "missing"})</span>
        )}
      </div>
    </li>
  );
}

function firstLine(text: string | null): string {
  if (!text) return "";
  const [first, ...rest] = text.split("\n");
  return rest.length ? `${first} …` : first;
}

function CustomData({ call: c, navigate }: { call: Call; navigate: Navigate }) {
  if (c.custom_data.length === 0 && c.custom_data_merge.length === 0) {
    return (
      <section className="panel">
        <h3>Custom data</h3>
        <p className="muted small">None injected.</p>
      </section>
    );
  }
  return (
    <section className="panel">
      <h3>Custom data</h3>
      <p>
        {c.custom_data_matches === true && <Badge tone="ok">✓ matches the messages' cdr_custom_data, merged</Badge>}
        {c.custom_data_matches === false && (
          <Badge tone="warn">⚠ differs from the messages' cdr_custom_data, merged</Badge>
        )}
        {c.custom_data_matches === null && <span className="muted small">No turn links to a message: nothing to compare with.</span>}
      </p>
      <CustomValues values={c.custom_data} navigate={navigate} />
      {c.custom_data_merge.length > 0 && (
        <details className="merge">
          <summary>How it was merged, turn by turn ({c.custom_data_merge.length} {c.custom_data_merge.length === 1 ? "step" : "steps"})</summary>
          <ol className="merge-steps">
            {c.custom_data_merge.map((step, i) => (
              <li key={i}>
                <div className="small">
                  message #{step.turn_count ?? "?"} <span className="mono muted">{step.log_id}</span>
                </div>
                {step.set.length > 0 && (
                  <div>
                    set:{" "}
                    {step.set.map((v) => (
                      <span key={v.key} className="chip mono">
                        {v.key}={jsonText(v.value)}
                      </span>
                    ))}
                  </div>
                )}
                {step.removed.length > 0 && (
                  <div>
                    removed:{" "}
                    {step.removed.map((k) => (
                      <span key={k} className="chip mono change-removed">
                        {k}
                      </span>
                    ))}
                  </div>
                )}
                <div className="muted small">
                  after: {step.state.length ? step.state.map((v) => `${v.key}=${jsonText(v.value)}`).join(", ") : "(empty)"}
                </div>
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

function CustomValues({ values, navigate }: { values: CustomValue[]; navigate: Navigate }) {
  if (values.length === 0) return <p className="muted small">The record carries no injected_custom_data.</p>;
  return (
    <table className="custom-values">
      <tbody>
        {values.map((v) => (
          <tr key={v.key}>
            <td className="mono">
              <RouteLink navigate={navigate} to={{ view: "custom", key: v.key }} title="This key across calls">
                {v.key}
              </RouteLink>
            </td>
            <td className="mono">{jsonText(v.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
