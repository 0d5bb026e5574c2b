// One conversation (one session_id) as a transcript that reads like the chat did: the user on the
// right, the assistant on the left, each response item drawn for what it is; per turn, its latency,
// the call turn it belongs to and, on demand, what the assistant understood and did.
import { useEffect, useRef, useState } from "react";
import { api } from "../../api";
import type { Conversation } from "../../api/types/Conversation";
import type { Turn } from "../../api/types/Turn";
import type { Navigate } from "../../routes";
import { Badge, ErrorNote, Facts, Loading, RouteLink } from "../../components/detail/common";
import { useAsync } from "../../hooks";
import { formatConfidence, formatEndReason, formatMs, formatTimestamp } from "../../format";
import { OutputItemView } from "../../components/detail/OutputItemView";
import { TurnDetails, UserInputView, hasUserInput } from "../../components/detail/TurnParts";

export function ConversationView(props: { id: string; turn?: number; navigate: Navigate }) {
  const { id, turn, navigate } = props;
  const loaded = useAsync(() => api.conversation(id), [id]);
  if (loaded.error) {
    return <ErrorNote error={loaded.error} notFound={`No conversation with session id ${id}.`} />;
  }
  if (loaded.data === undefined) return <Loading what="conversation" />;
  return <ConversationBody conversation={loaded.data} turn={turn} navigate={navigate} />;
}

function ConversationBody({ conversation: c, turn, navigate }: { conversation: Conversation; turn?: number; navigate: Navigate }) {
  const mismatches = c.turns.filter((t) => t.session_mismatch !== null).length;
  return (
    <div className="detail conversation-view">
      <header className="detail-header">
        <h2>
          Conversation <span className="mono">{c.session_id}</span>
        </h2>
        <Facts
          rows={[
            ["channel", c.channel],
            ["turns", String(c.turns.length)],
            ["from", formatTimestamp(c.first_at), c.first_at ?? undefined],
            ["to", formatTimestamp(c.last_at), c.last_at ?? undefined],
            ["user", c.user_id && <span className="mono">{c.user_id}</span>],
            ["customer", c.customer_id ? <span className="mono">{c.customer_id}</span> : undefined],
            ["assistant", c.assistant_id && <span className="mono">{c.assistant_id}</span>],
            ["skill", c.skill_id ? <span className="mono">{c.skill_id}</span> : undefined],
          ]}
        />
        {c.calls.length > 0 && (
          <ul className="plain call-links">
            {c.calls.map((call) => (
              <li key={call.event_id}>
                <RouteLink navigate={navigate} to={{ view: "call", id: call.global_session_id ?? String(call.event_id) }}>
                  Call on {formatTimestamp(call.start_ts)}, {formatMs(call.duration_ms)}, {formatEndReason(call.end_reason) || "end reason unknown"}
                </RouteLink>
              </li>
            ))}
          </ul>
        )}
        {mismatches > 0 && (
          <p>
            <Badge tone="warn">session mismatch</Badge> {mismatches} turn{mismatches === 1 ? "" : "s"} carry a different
            session id in their context than this conversation's.
          </p>
        )}
      </header>
      {c.turns.length === 0 ? (
        <p className="empty">This conversation has no turns.</p>
      ) : (
        <ol className="transcript">
          {c.turns.map((t, i) => (
            <TurnView
              key={t.event_id}
              turn={t}
              previous={i > 0 ? c.turns[i - 1] : null}
              highlighted={turn !== undefined && t.turn_count === turn}
              navigate={navigate}
            />
          ))}
        </ol>
      )}
    </div>
  );
}

/** Below this confidence an intent is marked as doubtful. */
const LOW_CONFIDENCE = 0.5;

/**
 * What the assistant understood, without opening the details: the top intent by its action's title
 * (its id beside it) and its confidence; for a turn without an intent, the action it ran.
 */
export function TurnIntent({ turn }: { turn: Turn }) {
  const top = turn.intents[0];
  if (top) {
    const low = top.confidence !== null && top.confidence < LOW_CONFIDENCE;
    return (
      <span className="turn-intent" data-testid="turn-intent" title={`#${top.name}`}>
        {top.title ? <strong>{top.title}</strong> : <span className="mono">#{top.name}</span>}
        {top.title ? <span className="muted mono"> #{top.name}</span> : null}{" "}
        <span className={low ? "badge badge-warn" : "muted"}>{formatConfidence(top.confidence)}</span>
        {turn.intents.length > 1 ? <span className="muted"> +{turn.intents.length - 1}</span> : null}
      </span>
    );
  }
  const action = turn.visited.find((v) => v.kind === "action" && v.title);
  if (!action) return null;
  return (
    <span className="turn-intent muted" data-testid="turn-intent" title={`action ${action.name}`}>
      action <strong>{action.title}</strong>
    </span>
  );
}

function TurnView(props: { turn: Turn; previous: Turn | null; highlighted: boolean; navigate: Navigate }) {
  const { turn: t, previous, highlighted, navigate } = props;
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (highlighted) ref.current?.scrollIntoView?.({ block: "center" });
  }, [highlighted]);
  const link = t.call_turn;
  return (
    <li
      ref={ref}
      className={`turn${highlighted ? " turn-highlight" : ""}`}
      id={t.turn_count !== null ? `turn-${t.turn_count}` : undefined}
      data-testid="turn"
      aria-current={highlighted ? "true" : undefined}
    >
      <div className="turn-head small">
        <span className="turn-number">#{t.turn_count ?? "?"}</span>
        <span className="muted" title={t.request_ts ?? undefined}>
          {formatTimestamp(t.request_ts ?? t.received_at)}
        </span>
        <span title="response_timestamp − request_timestamp">latency {formatMs(t.latency_ms)}</span>
        <TurnIntent turn={t} />
        {t.session_mismatch !== null && (
          <Badge tone="warn" title="response.context.global.session_id differs from the conversation's session_id">
            session mismatch: {t.session_mismatch}
          </Badge>
        )}
        {link && (
          <RouteLink
            navigate={navigate}
            to={{ view: "call", id: link.global_session_id ?? String(link.call_event_id), turn: link.seq }}
            title="This turn in its call record"
          >
            call turn {link.seq + 1}
            {link.request_type ? ` (${link.request_type})` : ""}
            {link.assistant_ms !== null ? `, assistant ${formatMs(link.assistant_ms)}` : ""}
          </RouteLink>
        )}
        <RouteLink navigate={navigate} to={{ view: "event", id: String(t.event_id) }} className="muted" title="The webhook request as received">
          event {t.event_id}
        </RouteLink>
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "hide details" : "details"}
        </button>
      </div>
      {hasUserInput(t.input) ? (
        <div className="side side-user">
          <UserInputView input={t.input} />
        </div>
      ) : (
        <div className="side side-user muted small no-input">no user input (conversation start or event)</div>
      )}
      <div className="side side-assistant">
        {t.outputs.length === 0 ? (
          <div className="muted small">no response items</div>
        ) : (
          <div className="bubble bubble-assistant">
            {t.outputs.map((item, i) => (
              <OutputItemView key={i} item={item} />
            ))}
          </div>
        )}
      </div>
      {open && <TurnDetails turn={t} previous={previous} />}
    </li>
  );
}
