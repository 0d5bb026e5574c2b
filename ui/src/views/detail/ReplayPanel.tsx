// The event view's Replay: an editor over the body's JSON (Send stays disabled, saying where, while
// it is not JSON), the target URL the user types, how to sign (the endpoint's secret as the
// receiver knows it, a secret file on this machine, or none), and the kept answer. Then the event's
// replays, each with a link to compare what it sent with the original.
//
// Everything from the payload or the target's answer is rendered as text: the editor is a
// textarea, the answer a <pre>; no payload text becomes a URL, a header or markup.
import { useState } from "react";
import { api, ClientError } from "../../api";
import type { EventDetail } from "../../api/types/EventDetail";
import type { ReplayView } from "../../api/types/ReplayView";
import type { Signing } from "../../api/types/Signing";
import type { Navigate } from "../../routes";
import { Badge, HeadersTable } from "../../components/detail/common";
import { formatTimestamp } from "../../format";
import { checkJson, replayRequest, type ReplayForm } from "../../replay";

/** The editor's starting text: the stored JSON pretty-printed, or the text as stored. */
function startingText(e: EventDetail): string {
  return e.body !== null ? JSON.stringify(e.body, null, 2) : e.body_text;
}

export function ReplayPanel({ event: e, navigate }: { event: EventDetail; navigate: Navigate }) {
  const original = startingText(e);
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<ReplayForm>({ to: "", signing: "endpoint", secretFile: "", body: original });
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<ReplayView | null>(null);
  const [sent, setSent] = useState<ReplayView[]>([]);
  const replays = [...e.replays, ...sent.filter((s) => !e.replays.some((r) => r.id === s.id))];
  const check = checkJson(form.body);
  const made = replayRequest(e.id, form, original);
  const set = (patch: Partial<ReplayForm>) => setForm((f) => ({ ...f, ...patch }));

  const send = async () => {
    if (!("request" in made)) return;
    setSending(true);
    setError(null);
    try {
      const view = await api.replay(made.request);
      setAnswer(view);
      setSent((s) => [...s, view]);
    } catch (err) {
      setError(ClientError.from(err).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="panel replay" aria-label="Replay">
      <h3>
        Replay{" "}
        {replays.length > 0 && (
          <span className="muted small">
            {replays.length} {replays.length === 1 ? "replay" : "replays"} kept
          </span>
        )}
      </h3>
      {!open ? (
        <div className="toolbar">
          <button type="button" onClick={() => setOpen(true)}>
            Replay…
          </button>
          <CompareWith id={e.id} navigate={navigate} />
        </div>
      ) : (
        <form
          className="replay-form"
          onSubmit={(ev) => {
            ev.preventDefault();
            void send();
          }}
        >
          <label>
            Target URL
            <input
              type="url"
              className="mono"
              placeholder="http://127.0.0.1:3000/watson-logs"
              value={form.to}
              onChange={(ev) => set({ to: ev.target.value })}
              spellCheck={false}
              autoComplete="off"
            />
          </label>
          <fieldset className="replay-signing">
            <legend>Sign with</legend>
            {(
              [
                ["endpoint", `the secret of the endpoint it arrived on (${e.endpoint ?? "?"})`],
                ["file", "a secret file on this machine"],
                ["none", "nothing: no Authorization header"],
              ] as Array<[Signing, string]>
            ).map(([value, label]) => (
              <label key={value}>
                <input type="radio" name="signing" value={value} checked={form.signing === value} onChange={() => set({ signing: value })} />{" "}
                {label}
              </label>
            ))}
            {form.signing === "file" && (
              <input
                type="text"
                className="mono"
                aria-label="Secret file path"
                placeholder="/home/me/downstream.secret"
                value={form.secretFile}
                onChange={(ev) => set({ secretFile: ev.target.value })}
                spellCheck={false}
                autoComplete="off"
              />
            )}
          </fieldset>
          <label>
            Body{" "}
            {form.body !== original && <Badge tone="warn">edited</Badge>}
            <textarea
              className="mono replay-body"
              aria-label="Body to send"
              aria-invalid={!check.ok}
              value={form.body}
              onChange={(ev) => set({ body: ev.target.value })}
              spellCheck={false}
              rows={16}
            />
          </label>
          {!check.ok && (
            <p className="reason" role="alert" data-testid="json-problem">
              Not JSON at line {check.line}, column {check.column}: {check.message}
            </p>
          )}
          <div className="toolbar">
            <button type="submit" disabled={sending || !("request" in made)} title={"problem" in made ? made.problem : undefined}>
              {sending ? "Sending…" : "Send"}
            </button>
            {form.body !== original && (
              <button type="button" onClick={() => set({ body: original })}>
                Undo edits
              </button>
            )}
            <button type="button" onClick={() => setOpen(false)}>
              Close
            </button>
            {"problem" in made && check.ok && <span className="muted small">{made.problem}</span>}
          </div>
          {error && (
            <p className="reason" role="alert">
              {error}
            </p>
          )}
          {answer && <ReplayAnswer replay={answer} />}
        </form>
      )}
      {replays.length > 0 && <ReplayList replays={replays} />}
    </section>
  );
}

/** "Compare with…": another event's number, then the Compare view. */
function CompareWith({ id, navigate }: { id: number; navigate: Navigate }) {
  const [other, setOther] = useState("");
  return (
    <form
      className="compare-with"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (other.trim() !== "") navigate({ view: "compare", left: String(id), right: other.trim() });
      }}
    >
      <input
        type="text"
        className="mono"
        aria-label="Event to compare with"
        placeholder="event number or log_id"
        value={other}
        onChange={(ev) => setOther(ev.target.value)}
      />
      <button type="submit" disabled={other.trim() === ""}>
        Compare with…
      </button>
    </form>
  );
}

/** What the target answered to one replay: status, latency, headers, and the body as text. */
export function ReplayAnswer({ replay: r }: { replay: ReplayView }) {
  return (
    <div className="replay-answer" data-testid="replay-answer">
      <p>
        <Badge tone={r.status !== null && r.status < 300 && !r.error ? "ok" : "error"}>{r.status ?? "no answer"}</Badge>{" "}
        <span className="muted small">
          {Math.round(r.latency_ms)} ms, {formatTimestamp(r.at)}
        </span>
        {r.error && <span className="reason"> {r.error}</span>}
      </p>
      {r.response_headers.length > 0 && (
        <HeadersTable headers={r.response_headers} />
      )}
      {r.response !== "" && <pre className="mono raw-body">{r.response}</pre>}
    </div>
  );
}

function signedWith(r: ReplayView): string {
  switch (r.signing) {
    case "endpoint":
      return "signed with the endpoint's secret";
    case "file":
      return `signed with ${r.secret_file ?? "a secret file"}`;
    case "none":
      return "unsigned";
  }
}

function ReplayList({ replays }: { replays: ReplayView[] }) {
  return (
    <div className="replays">
      <h4>Replays</h4>
      {replays.map((r) => (
        <details key={r.id} className="replay-item" data-testid="replay">
          <summary>
            <span className="mono">{r.target}</span>{" "}
            <Badge tone={r.status !== null && r.status < 300 && !r.error ? "ok" : "error"}>{r.status ?? "no answer"}</Badge>{" "}
            <span className="muted small">
              replay {r.id}, {formatTimestamp(r.at)}, {Math.round(r.latency_ms)} ms, {signedWith(r)}
              {r.edits ? `, edited (${r.edits})` : ""}
            </span>
          </summary>
          <ReplayAnswer replay={r} />
          {r.body !== null && (
            <>
              <h4>Body sent</h4>
              <pre className="mono raw-body">{r.body}</pre>
            </>
          )}
        </details>
      ))}
    </div>
  );
}
