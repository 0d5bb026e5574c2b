// The parts of one conversation turn besides the assistant's items: what the user sent, and the
// details shown on demand (intents, entities, the path through actions and steps, log messages,
// and the context variables compared with the turn before).
import type { ContextVar } from "../../api/types/ContextVar";
import type { Turn } from "../../api/types/Turn";
import type { UserInput } from "../../api/types/UserInput";
import type { JsonValue } from "../../api/types/serde_json/JsonValue";
import { Badge } from "./common";
import { formatConfidence, jsonText } from "../../format";

/** The user's side of a turn: the text (or DTMF digits) and how it arrived. */
export function UserInputView({ input }: { input: UserInput }) {
  const text = input.text ?? "";
  return (
    <div className="user-input">
      <div className="bubble bubble-user" data-testid="user-text">
        {input.kind === "dtmf" ? <span className="mono">{text}</span> : text}
      </div>
      <div className="input-meta muted small">
        <span className="chip">{input.kind === "dtmf" ? "DTMF keys" : input.kind}</span>
        {input.kind === "speech" && <span> STT confidence {formatConfidence(input.stt_confidence)}</span>}
        {input.barge_in && <span> · barged in</span>}
        {input.message_type && input.message_type !== "text" && <span> · {input.message_type}</span>}
        {input.suggestion_id && <span> · picked a suggestion</span>}
      </div>
      {input.stt_alternatives.length > 1 && (
        <details className="stt-alternatives small">
          <summary>{input.stt_alternatives.length} speech alternatives</summary>
          <ol>
            {input.stt_alternatives.map((a, i) => (
              <li key={i}>
                “{a.transcript}” <span className="muted">{formatConfidence(a.confidence)}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

/** Whether a turn had any user input to show (the first turn of a chat usually has none). */
export function hasUserInput(input: UserInput): boolean {
  return (input.text ?? "") !== "" || (input.kind !== "text" && input.kind !== "unknown");
}

/** The on-demand details of a turn; `previous` is the turn before, for the context comparison. */
export function TurnDetails({ turn, previous }: { turn: Turn; previous: Turn | null }) {
  return (
    <div className="turn-details">
      <section>
        <h4>Intents</h4>
        {turn.intents.length === 0 ? (
          <p className="muted small">none</p>
        ) : (
          <ul className="plain">
            {turn.intents.map((i, n) => (
              <li key={n}>
                <span className="mono">#{i.name}</span> <span className="muted">{formatConfidence(i.confidence)}</span>
                {i.title ? <> <span>{i.title}</span></> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h4>Entities</h4>
        {turn.entities.length === 0 ? (
          <p className="muted small">none</p>
        ) : (
          <ul className="plain">
            {turn.entities.map((e, n) => (
              <li key={n}>
                <span className="mono">
                  @{e.entity}:{e.value ?? ""}
                </span>{" "}
                <span className="muted">
                  {formatConfidence(e.confidence)}
                  {e.role ? ` · role ${e.role}` : ""}
                  {e.location ? ` · chars ${e.location[0]}–${e.location[1]}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="wide">
        <h4>Visited, in order</h4>
        {turn.visited.length === 0 ? (
          <p className="muted small">nothing recorded (debug output off?)</p>
        ) : (
          <ol className="visited">
            {turn.visited.map((v, n) => (
              <li key={n}>
                <span className="chip">{v.kind}</span> <span className="mono">{v.name}</span>
                {v.title && v.title !== v.name && <span> “{v.title}”</span>}
                {v.event !== v.name && <span className="muted small"> {v.event}</span>}
                {v.detail && <div className="muted small">{v.detail}</div>}
              </li>
            ))}
          </ol>
        )}
      </section>
      {turn.log_messages.length > 0 && (
        <section className="wide">
          <h4>Log messages</h4>
          <ul className="plain">
            {turn.log_messages.map((m, n) => (
              <li key={n}>
                <Badge tone={levelTone(m.level)}>{m.level ?? "log"}</Badge>{" "}
                {m.code && <span className="mono">{m.code} </span>}
                <span className="log-message">{m.message ?? ""}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="wide">
        <h4>Context variables</h4>
        <ContextDiff vars={turn.context} previous={previous?.context ?? []} />
      </section>
    </div>
  );
}

function levelTone(level: string | null): "ok" | "warn" | "error" | undefined {
  const l = (level ?? "").toLowerCase();
  if (l.startsWith("err")) return "error";
  if (l.startsWith("warn")) return "warn";
  return undefined;
}

const varKey = (v: ContextVar) => `${v.scope}\u0000${v.name}`;

/** Changes first, highlighted (a changed value shows its value before); unchanged ones folded. */
export function ContextDiff({ vars, previous }: { vars: ContextVar[]; previous: ContextVar[] }) {
  if (vars.length === 0) return <p className="muted small">none</p>;
  const before = new Map<string, JsonValue>(previous.map((v) => [varKey(v), v.value]));
  const changed = vars.filter((v) => v.change !== "unchanged");
  const unchanged = vars.filter((v) => v.change === "unchanged");
  return (
    <div className="context-diff">
      {changed.length === 0 ? (
        <p className="muted small">no changes since the turn before</p>
      ) : (
        <table className="vars">
          <tbody>
            {changed.map((v) => (
              <tr key={varKey(v)} className={`var-${v.change}`}>
                <td>
                  <span className={`change change-${v.change}`}>{v.change}</span>
                </td>
                <td className="mono">
                  <span className="muted">{v.scope}.</span>
                  {v.name}
                </td>
                <td className="mono var-value">
                  {v.change === "changed" && before.has(varKey(v)) && (
                    <>
                      <del>{jsonText(before.get(varKey(v)))}</del> →{" "}
                    </>
                  )}
                  {v.change === "removed" ? (
                    before.has(varKey(v)) ? <del>{jsonText(before.get(varKey(v)))}</del> : <span className="muted">removed</span>
                  ) : (
                    jsonText(v.value)
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {unchanged.length > 0 && (
        <details className="unchanged">
          <summary>
            {unchanged.length} unchanged
          </summary>
          <table className="vars">
            <tbody>
              {unchanged.map((v) => (
                <tr key={varKey(v)}>
                  <td className="mono">
                    <span className="muted">{v.scope}.</span>
                    {v.name}
                  </td>
                  <td className="mono var-value">{jsonText(v.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
