// Trends: the figures of the current search over its time range (api.trends, computed exactly in
// the core), as charts with their numbers as tables. Every bar, point and slice that stands for a
// searchable set opens that list: the search, plus the term of what was clicked, plus the bucket's
// time bounds. Compare draws a second range of the same length (the previous period, the same
// range a day, a week or four weeks earlier, or one starting when the user says) over the current.
import { useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { api, ClientError } from "../api";
import type { Bucket } from "../api/types/Bucket";
import type { Count } from "../api/types/Count";
import type { KeyCount } from "../api/types/KeyCount";
import type { Period } from "../api/types/Period";
import type { SlowTurn } from "../api/types/SlowTurn";
import type { Trends } from "../api/types/Trends";
import { ChartPanel, NumbersTable } from "../components/trends/ChartPanel";
import { ErrorBanner } from "../components/ErrorBanner";
import { Loading, RouteLink } from "../components/detail/common";
import { formatConfidence, formatCount, formatEndReason, formatMs } from "../format";
import { useAsync } from "../hooks";
import { customTerm, effectiveQuery, queryTerm } from "../query";
import type { Navigate, Route } from "../routes";

type TrendsRoute = Extract<Route, { view: "trends" }>;

/** Series colours: theme variables first (readable in both themes), then fixed hues. */
const PALETTE = [
  "var(--accent)",
  "var(--ok)",
  "var(--warn)",
  "var(--error)",
  "#8e6bd6",
  "#2aa3a3",
  "#d6679b",
  "#7c8a99",
  "#b5873a",
  "#4f9e3a",
  "#a0a0a0",
];
const AXIS = { fontSize: 11, fill: "var(--muted)" };
const TOOLTIP_STYLE = { background: "var(--bg)", border: "1px solid var(--border)", color: "var(--fg)" };
const CHART_HEIGHT_PX = 220;

function label(c: Count): string {
  if (c.other) return "(others)";
  return c.value ?? "(none)";
}

function bucketLabel(ms: number, bucket: Bucket): string {
  const iso = new Date(ms).toISOString();
  if (bucket === "day") return iso.slice(5, 10);
  if (bucket === "hour") return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 16);
}

/** A tick label cut to `max` characters (the whole text is in the tooltip and the table). */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function rate(count: number, of: number): string {
  return of === 0 ? "—" : `${((count * 100) / of).toFixed(1)} %`;
}

/** Terms joined into one query, skipping the empty ones. */
function joinQuery(...parts: Array<string | null | undefined>): string | undefined {
  const q = parts.filter((p): p is string => !!p && p.trim() !== "").join(" ");
  return q || undefined;
}

/**
 * The query terms of a confidence tenth as Trends labels it (`0.3-0.4`): at least its start and below
 * its end; the first has no lower bound and the last no upper one (Trends files values outside 0…1
 * there).
 */
export function tenthTerms(field: string, label: string): string | null {
  const m = label.match(/^(\d(?:\.\d+)?)-(\d(?:\.\d+)?)$/);
  if (!m) return null;
  const [from, to] = [Number(m[1]), Number(m[2])];
  return [from > 0 ? `${field}>=${m[1]}` : null, to < 1 ? `${field}<${m[2]}` : null].filter(Boolean).join(" ") || null;
}

/** The query terms of a conversation-length bin as Trends labels it: `3`, `6-10`, `21+`. */
export function turnsTerms(label: string): string | null {
  let m = label.match(/^(\d+)$/);
  if (m) return `turns=${m[1]}`;
  m = label.match(/^(\d+)-(\d+)$/);
  if (m) return `turns>=${m[1]} turns<=${m[2]}`;
  m = label.match(/^(\d+)\+$/);
  return m ? `turns>=${m[1]}` : null;
}

/** `after:… before:…` of bucket `i`, cut to the range. */
function bucketBounds(p: Period, i: number): string {
  const start = Math.max(p.buckets[i].start_ms, p.start_ms);
  const end = Math.min(p.buckets[i].start_ms + p.bucket_ms, p.end_ms);
  return `after:${new Date(start).toISOString()} before:${new Date(end).toISOString()}`;
}

export function TrendsView(props: { route: TrendsRoute; navigate: Navigate; onQueryError: (e: ClientError | null) => void }) {
  const { route, navigate, onQueryError } = props;
  const q = effectiveQuery(route.q, route.range);
  const loaded = useAsync<Trends>(
    () => api.trends({ q, compare: route.compare ?? null, custom: route.custom ?? null }),
    [q, route.compare, route.custom],
  );
  const keys = useAsync<KeyCount[]>(() => api.customKeys(), []);

  useEffect(() => {
    const e = loaded.error;
    onQueryError(e && e.kind === "bad_query" ? e : null);
  }, [loaded.error, onQueryError]);

  // The list a click opens: the search (and range) in effect, plus `terms`.
  const open = (view: "calls" | "conversations" | "live", ...terms: Array<string | null | undefined>) =>
    navigate({ view, q: joinQuery(route.q, ...terms), range: route.range });

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  const t = loaded.data;
  if (!t) return <Loading what="trends" />;
  const c = t.current;
  const p = t.previous;
  const setRoute = (change: Partial<TrendsRoute>) => navigate({ ...route, ...change });

  return (
    <div className="scroll-page trends" data-testid="trends-view">
      <div className="trends-toolbar">
        <span className="muted small" data-testid="trends-range">
          {new Date(c.start_ms).toISOString().replace("T", " ").slice(0, 16)} –{" "}
          {new Date(c.end_ms).toISOString().replace("T", " ").slice(0, 16)} UTC, by {c.bucket}
          {p && (
            <>
              {" "}
              · compared with {new Date(p.start_ms).toISOString().replace("T", " ").slice(0, 16)} –{" "}
              {new Date(p.end_ms).toISOString().replace("T", " ").slice(0, 16)}
            </>
          )}
        </span>
        <CompareChooser compare={route.compare} startMs={c.start_ms} onChange={(compare) => setRoute({ compare })} />
        {loaded.loading && <span className="muted small">Updating…</span>}
      </div>
      <Totals t={t} open={open} />
      <div className="trends-grid">
        <Volume period={c} previous={p} open={open} />
        <LatencyPanel t={t} open={open} />
        <Outcomes period={c} open={open} />
        <EndReasonPie period={c} previous={p} open={open} />
        <CountsBars
          id="failure-details"
          title="Failure details"
          note="Failed calls, grouped by failure_details."
          counts={c.failure_details}
          previous={p?.failure_details}
          onClick={(v) => open("calls", "failed:true", v.other || v.value === null ? null : queryTerm("failure", v.value))}
        />
        <Warnings period={c} open={open} />
        <Intents period={c} lowConfidence={t.low_confidence} open={open} />
        <CountsBars
          id="actions"
          title="Top actions"
          note="Messages by the title of each action they ran."
          counts={c.actions}
          previous={p?.actions}
          onClick={(v) => !v.other && v.value !== null && open("conversations", queryTerm("action", v.value))}
        />
        <CountsBars
          id="input-kinds"
          title="Input kinds"
          note="Messages by how the user spoke: text, speech, DTMF."
          counts={c.input_kinds}
          previous={p?.input_kinds}
          onClick={(v) => !v.other && v.value !== null && open("conversations", queryTerm("input", v.value))}
        />
        <CountsBars
          id="turns-per-conversation"
          title="Turns per conversation"
          note="Conversations by their messages in the range; a bar opens the conversations of that many turns."
          counts={c.turns_per_conversation}
          previous={p?.turns_per_conversation}
          onClick={(v) => v.value !== null && open("conversations", turnsTerms(v.value))}
        />
        <CountsBars
          id="intent-confidence"
          title="Intent confidence"
          note={`Messages by top-intent confidence; below ${t.low_confidence} is low: ${formatCount(c.low_confidence.count)} of ${formatCount(c.low_confidence.of)} (${rate(c.low_confidence.count, c.low_confidence.of)}).`}
          counts={c.intent_confidence}
          previous={p?.intent_confidence}
          onClick={(v) => v.value !== null && open("conversations", tenthTerms("confidence.intent", v.value))}
        />
        <CountsBars
          id="stt-confidence"
          title="Speech-to-text confidence"
          note={
            <>
              Call turns by STT confidence.{" "}
              <button type="button" className="link-button" data-testid="trends-barge-in" onClick={() => open("calls", "barge_in:true")}>
                Barge-in
              </button>
              : {formatCount(c.barge_in.count)} of {formatCount(c.barge_in.of)} turns ({rate(c.barge_in.count, c.barge_in.of)})
              {p && `, before ${rate(p.barge_in.count, p.barge_in.of)}`}.
            </>
          }
          counts={c.stt_confidence}
          previous={p?.stt_confidence}
          onClick={(v) => v.value !== null && open("conversations", tenthTerms("confidence.stt", v.value))}
        />
        <Custom
          period={c}
          keys={keys.data ?? []}
          selected={route.custom}
          onSelect={(key) => setRoute({ custom: key || undefined })}
          open={open}
        />
      </div>
      <SlowestTurns turns={c.slowest_turns} navigate={navigate} />
      <p className="muted small trends-method">Percentiles: {t.method}.</p>
    </div>
  );
}

type Open = (view: "calls" | "conversations" | "live", ...terms: Array<string | null | undefined>) => void;

function Totals({ t, open }: { t: Trends; open: Open }) {
  const c = t.current.totals;
  const items: Array<[string, string, number, () => void]> = [
    ["messages", "Messages", c.messages, () => open("conversations")],
    ["conversations", "Conversations", c.conversations, () => open("conversations")],
    ["calls", "Calls", c.calls, () => open("calls")],
    ["failed", "Failed", c.failed, () => open("calls", "failed:true")],
    ["transferred", "Transferred", c.transferred, () => open("calls", "transferred:true")],
    ["with_warnings", "With warnings", c.with_warnings, () => open("calls", "warnings>0")],
    ["rejected", "Rejected", c.rejected, () => open("live", "kind:rejected")],
  ];
  return (
    <div className="trends-totals" data-testid="trends-totals">
      {items.map(([measure, name, value, onClick]) => {
        const change = t.changes.find((ch) => ch.measure === measure);
        const share =
          measure === "failed" || measure === "transferred" ? ` (${rate(value, c.calls)})` : "";
        return (
          <button key={measure} type="button" className="trends-total" data-testid={`total-${measure}`} onClick={onClick}>
            <span className="trends-total-name">{name}</span>
            <span className="trends-total-value">
              {formatCount(value)}
              <span className="muted small">{share}</span>
            </span>
            {change && (
              <span className={`small ${change.notable ? "trends-notable" : "muted"}`} title="Compared with the previous period">
                was {formatCount(change.previous ?? 0)}
                {change.percent !== null ? ` (${change.percent > 0 ? "+" : ""}${change.percent.toFixed(0)} %)` : ""}
                {change.notable ? " ●" : ""}
              </span>
            )}
          </button>
        );
      })}
    </div>
  );
}

/** Recharts hands a clicked bar or point its row and its index; the index is all that is used. */
function indexOf(item: unknown, fallback?: number): number | null {
  if (typeof fallback === "number") return fallback;
  const i = (item as { index?: unknown } | null)?.index;
  return typeof i === "number" ? i : null;
}

/** The bucket a click on a line chart is over (recharts gives its index as a number or a string). */
export function tooltipIndex(index: unknown): number | null {
  const i = typeof index === "string" && index !== "" ? Number(index) : index;
  return typeof i === "number" && Number.isInteger(i) && i >= 0 ? i : null;
}

function Volume({ period, previous, open }: { period: Period; previous: Period | null; open: Open }) {
  const rows = period.buckets.map((b, i) => ({
    label: bucketLabel(b.start_ms, period.bucket),
    messages: b.messages,
    conversations: b.conversations,
    calls: b.calls,
    rejected: b.rejected,
    previous_calls: previous?.buckets[i]?.calls ?? null,
    previous_messages: previous?.buckets[i]?.messages ?? null,
  }));
  const at = (i: number | null, view: "calls" | "conversations" | "live", term?: string) =>
    i !== null && open(view, term, bucketBounds(period, i));
  return (
    <ChartPanel
      id="volume"
      title="Volume"
      note={previous ? "Dashed: the previous period, bucket by bucket." : undefined}
      table={{
        header: ["bucket (UTC)", "messages", "conversations", "calls", "rejected", ...(previous ? ["previous messages", "previous calls"] : [])],
        rows: rows.map((r) => [r.label, r.messages, r.conversations, r.calls, r.rejected, ...(previous ? [r.previous_messages ?? 0, r.previous_calls ?? 0] : [])]),
      }}
    >
      <ComposedChart data={rows} responsive style={{ width: "100%", height: CHART_HEIGHT_PX }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
        <XAxis dataKey="label" tick={AXIS} />
        <YAxis tick={AXIS} allowDecimals={false} width={40} />
        <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fill: "var(--bg-alt)" }} />
        <Legend />
        <Bar dataKey="messages" fill={PALETTE[0]} isAnimationActive={false} cursor="pointer" onClick={(d, i) => at(indexOf(d, i), "conversations")} />
        <Bar dataKey="calls" fill={PALETTE[1]} isAnimationActive={false} cursor="pointer" onClick={(d, i) => at(indexOf(d, i), "calls")} />
        <Bar dataKey="rejected" fill={PALETTE[3]} isAnimationActive={false} cursor="pointer" onClick={(d, i) => at(indexOf(d, i), "live", "kind:rejected")} />
        {previous && (
          <Line dataKey="previous_messages" name="previous messages" stroke={PALETTE[0]} strokeDasharray="4 4" dot={false} isAnimationActive={false} />
        )}
        {previous && (
          <Line dataKey="previous_calls" name="previous calls" stroke={PALETTE[1]} strokeDasharray="4 4" dot={false} isAnimationActive={false} />
        )}
      </ComposedChart>
    </ChartPanel>
  );
}

function LatencyPanel({ t, open }: { t: Trends; open: Open }) {
  const period = t.current;
  const [name, setName] = useState(period.latency[0]?.name ?? "");
  const measure = period.latency.find((l) => l.name === name) ?? period.latency[0];
  const previous = t.previous?.latency.find((l) => l.name === measure?.name);
  if (!measure) return null;
  const rows = period.buckets.map((b, i) => ({
    label: bucketLabel(b.start_ms, period.bucket),
    p50: measure.buckets[i].p50,
    p95: measure.buckets[i].p95,
    p99: measure.buckets[i].p99,
    n: measure.buckets[i].n,
    previous_p95: previous?.buckets[i]?.p95 ?? null,
  }));
  const view = measure.name === "assistant_message_ms" ? "conversations" : "calls";
  const onPoint = (i: number | null) => i !== null && open(view, bucketBounds(period, i));
  return (
    <ChartPanel
      id="latency"
      title="Latency percentiles"
      note={
        <>
          <select aria-label="Latency measure" value={measure.name} onChange={(e) => setName(e.target.value)} data-testid="trends-latency-measure">
            {period.latency.map((l) => (
              <option key={l.name} value={l.name}>
                {l.label}
              </option>
            ))}
          </select>{" "}
          Whole range: p50 {formatMs(measure.overall.p50)}, p95 {formatMs(measure.overall.p95)}, p99 {formatMs(measure.overall.p99)} over{" "}
          {formatCount(measure.overall.n)} values
          {previous && ` (before: p95 ${formatMs(previous.overall.p95)})`}. Counts {measure.counts}.
        </>
      }
      table={{
        header: ["bucket (UTC)", "n", "p50 ms", "p95 ms", "p99 ms", ...(previous ? ["previous p95 ms"] : [])],
        rows: rows.map((r) => [r.label, r.n, r.p50 ?? "—", r.p95 ?? "—", r.p99 ?? "—", ...(previous ? [r.previous_p95 ?? "—"] : [])]),
      }}
    >
      <LineChart
        data={rows}
        responsive
        style={{ width: "100%", height: CHART_HEIGHT_PX }}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
        onClick={(state) => onPoint(tooltipIndex(state?.activeTooltipIndex))}
      >
        <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
        <XAxis dataKey="label" tick={AXIS} />
        <YAxis tick={AXIS} unit=" ms" width={64} />
        <Tooltip contentStyle={TOOLTIP_STYLE} />
        <Legend />
        <Line dataKey="p50" stroke={PALETTE[1]} dot={false} isAnimationActive={false} connectNulls={false} />
        <Line dataKey="p95" stroke={PALETTE[2]} dot={false} isAnimationActive={false} connectNulls={false} />
        <Line dataKey="p99" stroke={PALETTE[3]} dot={false} isAnimationActive={false} connectNulls={false} />
        {previous && (
          <Line dataKey="previous_p95" name="previous p95" stroke="var(--muted)" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
        )}
      </LineChart>
    </ChartPanel>
  );
}

/** The end reasons of all buckets, in the order of the range's totals. */
function Outcomes({ period, open }: { period: Period; open: Open }) {
  const reasons = period.end_reasons.map(label);
  const rows = period.buckets.map((b) => {
    const row: Record<string, string | number> = { label: bucketLabel(b.start_ms, period.bucket), failed: b.failed, transferred: b.transferred };
    for (const r of reasons) row[r] = b.end_reasons.find((e) => label(e) === r)?.count ?? 0;
    return row;
  });
  return (
    <ChartPanel
      id="outcomes"
      title="Call outcomes"
      note={`Calls by end reason. Failure rate ${rate(period.totals.failed, period.totals.calls)}, transfer rate ${rate(period.totals.transferred, period.totals.calls)}, ${formatCount(period.totals.with_warnings)} with warnings.`}
      table={{
        header: ["bucket (UTC)", ...reasons.map(formatEndReason), "failed", "transferred"],
        rows: rows.map((r) => [r.label, ...reasons.map((x) => r[x]), r.failed, r.transferred]),
      }}
    >
      <BarChart data={rows} responsive style={{ width: "100%", height: CHART_HEIGHT_PX }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
        <XAxis dataKey="label" tick={AXIS} />
        <YAxis tick={AXIS} allowDecimals={false} width={40} />
        <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fill: "var(--bg-alt)" }} />
        <Legend formatter={(v: string) => formatEndReason(v)} />
        {period.end_reasons.map((reason, k) => (
          <Bar
            key={label(reason)}
            dataKey={label(reason)}
            stackId="reasons"
            fill={PALETTE[k % PALETTE.length]}
            isAnimationActive={false}
            cursor={reason.value ? "pointer" : undefined}
            onClick={(d, i) => {
              const index = indexOf(d, i);
              if (index !== null && reason.value) open("calls", queryTerm("end_reason", reason.value), bucketBounds(period, index));
            }}
          />
        ))}
      </BarChart>
    </ChartPanel>
  );
}

function EndReasonPie({ period, previous, open }: { period: Period; previous: Period | null; open: Open }) {
  const data = period.end_reasons.map((r) => ({ name: formatEndReason(label(r)), value: r.count, reason: r.value }));
  return (
    <ChartPanel
      id="end-reasons"
      title="End reasons"
      table={{
        header: ["end reason", "calls", ...(previous ? ["previous"] : [])],
        rows: period.end_reasons.map((r) => [
          formatEndReason(label(r)),
          r.count,
          ...(previous ? [previous.end_reasons.find((x) => x.value === r.value)?.count ?? 0] : []),
        ]),
      }}
    >
      {data.length === 0 ? (
        <p className="muted small">No calls in the range.</p>
      ) : (
        <PieChart responsive style={{ width: "100%", height: CHART_HEIGHT_PX }} margin={{ top: 16, right: 8, bottom: 0, left: 8 }}>
          <Pie
            data={data}
            dataKey="value"
            nameKey="name"
            innerRadius="45%"
            outerRadius="75%"
            isAnimationActive={false}
            stroke="var(--bg)"
            label={{ fill: "var(--fg)", fontSize: 11 }}
            onClick={(_, i) => {
              const reason = data[i]?.reason;
              if (reason) open("calls", queryTerm("end_reason", reason));
            }}
          >
            {data.map((d, k) => (
              <Cell key={d.name} fill={PALETTE[k % PALETTE.length]} cursor={d.reason ? "pointer" : undefined} data-testid={`slice-${d.reason ?? "none"}`} />
            ))}
          </Pie>
          <Tooltip contentStyle={TOOLTIP_STYLE} />
          <Legend />
        </PieChart>
      )}
    </ChartPanel>
  );
}

function CountsBars(props: {
  id: string;
  title: string;
  note?: ReactNode;
  counts: Count[];
  previous?: Count[];
  onClick?: (c: Count) => void;
}) {
  const { id, title, note, counts, previous, onClick } = props;
  const rows = counts.map((c) => ({
    label: label(c),
    count: c.count,
    previous: previous ? (previous.find((p) => p.value === c.value && p.other === c.other)?.count ?? 0) : null,
  }));
  return (
    <ChartPanel
      id={id}
      title={title}
      note={note}
      table={{
        header: ["value", "count", ...(previous ? ["previous"] : [])],
        rows: rows.map((r) => [r.label, r.count, ...(previous ? [r.previous ?? 0] : [])]),
      }}
    >
      {rows.length === 0 ? (
        <p className="muted small">Nothing in the range.</p>
      ) : (
        <BarChart
          layout="vertical"
          data={rows}
          responsive
          style={{ width: "100%", height: Math.max(120, 40 + rows.length * 26) }}
          margin={{ top: 4, right: 16, bottom: 0, left: 8 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
          <XAxis type="number" tick={AXIS} allowDecimals={false} />
          <YAxis type="category" dataKey="label" tick={AXIS} width={200} interval={0} tickFormatter={(v: string) => clip(v, 28)} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fill: "var(--bg-alt)" }} />
          <Bar
            dataKey="count"
            fill={PALETTE[0]}
            isAnimationActive={false}
            cursor={onClick ? "pointer" : undefined}
            onClick={(d, i) => {
              const index = indexOf(d, i);
              if (onClick && index !== null) onClick(counts[index]);
            }}
          />
          {previous && <Bar dataKey="previous" name="previous period" fill="var(--muted)" fillOpacity={0.45} isAnimationActive={false} />}
          {previous && <Legend />}
        </BarChart>
      )}
    </ChartPanel>
  );
}

function Warnings({ period, open }: { period: Period; open: Open }) {
  const rows = period.warning_codes;
  return (
    <ChartPanel
      id="warnings"
      title="Warning codes"
      note="Calls carrying each code; new: no call before the range had it."
      table={{ header: ["code", "calls", "times", "new"], rows: rows.map((w) => [w.code ?? "(no code)", w.calls, w.occurrences, w.new ? "new" : ""]) }}
    >
      {rows.length === 0 ? (
        <p className="muted small">No warnings in the range.</p>
      ) : (
        <ul className="trends-list">
          {rows.map((w) => (
            <li key={w.code ?? ""}>
              {w.code ? (
                <button type="button" className="link-button" onClick={() => open("calls", queryTerm("warning", w.code ?? ""))}>
                  {w.code}
                </button>
              ) : (
                <span>(no code)</span>
              )}{" "}
              <span className="muted">
                {formatCount(w.calls)} calls, {formatCount(w.occurrences)} times
              </span>{" "}
              {w.new && <span className="badge badge-warn">new</span>}
            </li>
          ))}
        </ul>
      )}
    </ChartPanel>
  );
}

function Intents({ period, lowConfidence, open }: { period: Period; lowConfidence: number; open: Open }) {
  // An actions skill's intent reads by its action's title; the id stays in the table and the query.
  const rows = period.intents.map((i) => ({ label: i.title ?? i.intent, intent: i.intent, high: i.count - i.low, low: i.low, median: i.median_confidence }));
  return (
    <ChartPanel
      id="intents"
      title="Top intents"
      note={`Messages by top intent; below ${lowConfidence} confidence is low.`}
      table={{
        header: ["intent", "action", "messages", "median confidence", "low confidence"],
        rows: period.intents.map((i) => [i.intent, i.title ?? "", i.count, formatConfidence(i.median_confidence), i.low]),
      }}
    >
      {rows.length === 0 ? (
        <p className="muted small">No intents in the range.</p>
      ) : (
        <BarChart layout="vertical" data={rows} responsive style={{ width: "100%", height: 40 + rows.length * 26 }} margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
          <XAxis type="number" tick={AXIS} allowDecimals={false} />
          <YAxis type="category" dataKey="label" tick={AXIS} width={200} interval={0} tickFormatter={(v: string) => clip(v, 28)} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fill: "var(--bg-alt)" }} />
          <Legend />
          {(["high", "low"] as const).map((k) => (
            <Bar
              key={k}
              dataKey={k}
              name={k === "high" ? "confident" : "low confidence"}
              stackId="i"
              fill={k === "high" ? PALETTE[0] : PALETTE[2]}
              isAnimationActive={false}
              cursor="pointer"
              onClick={(d, i) => {
                const index = indexOf(d, i);
                if (index !== null)
                  open("conversations", queryTerm("intent", rows[index].intent), k === "low" ? `confidence.intent<${lowConfidence}` : null);
              }}
            />
          ))}
        </BarChart>
      )}
    </ChartPanel>
  );
}

function Custom(props: { period: Period; keys: KeyCount[]; selected?: string; onSelect: (key: string) => void; open: Open }) {
  const { period, keys, selected, onSelect, open } = props;
  const custom = period.custom;
  const values = custom?.values ?? [];
  const rows = period.buckets.map((b) => {
    const row: Record<string, string | number> = { label: bucketLabel(b.start_ms, period.bucket) };
    for (const v of b.custom) row[label(v)] = v.count;
    return row;
  });
  const term = (v: Count) => (custom && !v.other && v.value !== null ? customTerm(custom.key, v.value) : null);
  return (
    <ChartPanel
      id="custom"
      title="Custom data"
      note={
        <>
          <select aria-label="Custom-data key" value={selected ?? ""} onChange={(e) => onSelect(e.target.value)} data-testid="trends-custom-key">
            <option value="">Choose a key…</option>
            {keys.map((k) => (
              <option key={k.key} value={k.key}>
                {k.key}
              </option>
            ))}
          </select>
          {custom && ` Calls by value; ${formatCount(custom.without_key)} without the key.`}
        </>
      }
      table={{
        header: ["bucket (UTC)", ...values.map(label)],
        rows: rows.map((r) => [r.label as string, ...values.map((v) => r[label(v)] ?? 0)]),
      }}
    >
      {!custom ? (
        <p className="muted small">Choose a key of injected_custom_data to see its values over time.</p>
      ) : (
        <BarChart data={rows} responsive style={{ width: "100%", height: CHART_HEIGHT_PX }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis dataKey="label" tick={AXIS} />
          <YAxis tick={AXIS} allowDecimals={false} width={40} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fill: "var(--bg-alt)" }} />
          <Legend />
          {values.map((v, k) => (
            <Bar
              key={label(v)}
              dataKey={label(v)}
              stackId="custom"
              fill={PALETTE[k % PALETTE.length]}
              isAnimationActive={false}
              cursor={term(v) ? "pointer" : undefined}
              onClick={(d, i) => {
                const index = indexOf(d, i);
                const t = term(v);
                if (index !== null && t) open("calls", t, bucketBounds(period, index));
              }}
            />
          ))}
        </BarChart>
      )}
    </ChartPanel>
  );
}

type SortKey = "assistant_ms" | "tts_ms" | "stt_ms" | "call_start_at";

function SlowestTurns({ turns, navigate }: { turns: SlowTurn[]; navigate: Navigate }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "assistant_ms", desc: true });
  const sorted = useMemo(() => {
    const v = [...turns];
    v.sort((a, b) => {
      const x = a[sort.key] ?? -Infinity;
      const y = b[sort.key] ?? -Infinity;
      return sort.desc ? y - x : x - y;
    });
    return v;
  }, [turns, sort]);
  const header = (key: SortKey, text: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button type="button" className="link-button" onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))}>
        {text}
        {sort.key === key ? (sort.desc ? " ▼" : " ▲") : ""}
      </button>
    </th>
  );
  return (
    <section className="panel trends-panel" data-testid="trends-slowest">
      <header className="trends-panel-head">
        <h3>Slowest turns</h3>
      </header>
      <p className="muted small trends-note">The slowest assistant responses of call turns in the range; each opens its call at that turn.</p>
      {sorted.length === 0 ? (
        <NumbersTable table={{ header: [], rows: [] }} />
      ) : (
        <div className="trends-table-wrap">
          <table className="trends-table">
            <thead>
              <tr>
                {header("assistant_ms", "assistant")}
                {header("tts_ms", "TTS")}
                {header("stt_ms", "STT")}
                {header("call_start_at", "call start (UTC)")}
                <th scope="col">call</th>
                <th scope="col">turn</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((s) => (
                <tr key={`${s.call_event_id}-${s.seq}`} data-testid="slow-turn">
                  <td className="num">{formatMs(s.assistant_ms)}</td>
                  <td className="num">{formatMs(s.tts_ms)}</td>
                  <td className="num">{formatMs(s.stt_ms)}</td>
                  <td>{new Date(s.call_start_at).toISOString().replace("T", " ").slice(0, 19)}</td>
                  <td>
                    <RouteLink navigate={navigate} to={{ view: "call", id: s.global_session_id ?? String(s.call_event_id), turn: s.seq }}>
                      {s.global_session_id ?? `#${s.call_event_id}`}
                    </RouteLink>
                  </td>
                  <td>
                    {s.seq + 1} {s.request_type ?? ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The comparisons offered by name; any other is a range starting at a chosen time. */
const COMPARE_CHOICES: Array<[string, string]> = [
  ["", "No comparison"],
  ["previous", "Compare with the previous period"],
  ["24h", "Compare with the same range a day earlier"],
  ["7d", "Compare with the same range a week earlier"],
  ["4w", "Compare with the same range four weeks earlier"],
  ["start", "Compare with a range starting at…"],
];

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** How far back a comparison like `90m` or `7d` moves the range, in ms; null for `previous` or junk. */
export function compareShiftMs(compare: string): number | null {
  const m = compare.match(/^(\d+)([mhdw])$/i);
  return m ? Number(m[1]) * UNIT_MS[m[2].toLowerCase()] : null;
}

/** `YYYY-MM-DDTHH:MM` (UTC) of a time, as a datetime-local input holds it. */
function utcInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/**
 * What the current range is compared with: none, the previous period, the same range a day, a week
 * or four weeks earlier, or the range of the same length starting at a chosen time (UTC), sent to
 * the core as the shift back in minutes.
 */
export function CompareChooser(props: { compare?: string; startMs: number; onChange: (compare: string | undefined) => void }) {
  const { compare, startMs, onChange } = props;
  const named = COMPARE_CHOICES.some(([v]) => v !== "start" && v === (compare ?? ""));
  const [choosing, setChoosing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const shift = compare ? compareShiftMs(compare) : null;
  const custom = choosing || (!named && compare !== undefined);
  const choice = custom ? "start" : (compare ?? "");
  return (
    <span className="trends-compare small">
      <select
        aria-label="Compare with"
        data-testid="trends-compare"
        value={choice}
        onChange={(e) => {
          const v = e.target.value;
          setProblem(null);
          setChoosing(v === "start");
          if (v !== "start") onChange(v || undefined);
        }}
      >
        {COMPARE_CHOICES.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {custom && (
        <>
          {" "}
          <input
            type="datetime-local"
            aria-label="Start of the range to compare with (UTC)"
            data-testid="trends-compare-start"
            defaultValue={shift !== null ? utcInput(startMs - shift) : ""}
            onChange={(e) => {
              const at = Date.parse(`${e.target.value}:00Z`);
              if (Number.isNaN(at)) return;
              const minutes = Math.round((startMs - at) / 60_000);
              if (minutes <= 0) {
                setProblem("Choose a start before this range's start.");
                return;
              }
              setProblem(null);
              onChange(`${minutes}m`);
            }}
          />{" "}
          UTC
        </>
      )}
      {problem && (
        <span className="trends-compare-problem" role="alert">
          {" "}
          {problem}
        </span>
      )}
    </span>
  );
}
