// The phone calls (one per CDR): when, who, how long, how it ended, the worst latencies, warnings
// and the custom data injected into it.
import { useCallback, useMemo } from "react";
import { api } from "../api";
import type { ClientError, ListRequest } from "../api";
import type { CallRow } from "../api/types/CallRow";
import type { Column } from "../components/VirtualList";
import { withMatch } from "../components/HitSnippet";
import { formatCount, formatDateTime, formatDuration, formatMs, jsonText } from "../format";
import type { LiveFeed } from "../liveFeed";
import type { Navigate, Route } from "../routes";
import { PagedList } from "./PagedList";

/** `key=value, key=value` for the list; the call view shows them properly. */
export function customDataText(data: CallRow["custom_data"]): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}=${jsonText(v, true)}`)
    .join(", ");
}

/** A latency cell: blank when unknown, like the list's other cells. */
const latency = (ms: number | null) => (ms === null ? "" : formatMs(ms));

function flag(on: boolean | null, label: string, cls: string) {
  if (on === null) return <span className="muted">?</span>;
  return on ? <span className={`badge ${cls}`}>{label}</span> : <span className="muted">no</span>;
}

/**
 * Why the call failed, in Watson's words (`failure_details`); a bare "failed" badge when Watson gave
 * no cause; "no" for a call that did not fail.
 */
export function failureCell(r: CallRow) {
  if (r.failure_occurred && r.failure_details) return <span className="failure-text">{r.failure_details}</span>;
  if (r.failure_details) return r.failure_details;
  return flag(r.failure_occurred, "failed", "badge-error");
}

const COLUMNS: Column<CallRow>[] = [
  { title: "Start", min: 156, ideal: 156, priority: 1, className: "mono", render: (r) => formatDateTime(r.start_at) },
  { title: "Caller", min: 118, ideal: 132, priority: 1, className: "mono", render: (r) => r.caller ?? "", title_: (r) => r.caller ?? undefined },
  { title: "Duration", min: 64, ideal: 76, priority: 2, className: "num", render: (r) => formatDuration(r.duration_ms) },
  {
    title: "End reason",
    min: 128, ideal: 140, priority: 1,
    render: (r) => r.end_reason ?? "",
    title_: (r) => r.end_reason ?? undefined,
  },
  {
    title: "Failure",
    min: 110, ideal: 340, grow: 1, priority: 1,
    render: failureCell,
    title_: (r) => r.failure_details ?? undefined,
  },
  { title: "Transfer", min: 92, ideal: 92, priority: 4, render: (r) => flag(r.transfer_occurred, "transferred", "badge-warn") },
  { title: "Assistant", min: 70, ideal: 72, priority: 3, className: "num", render: (r) => latency(r.max_assistant_ms) },
  { title: "TTS", min: 56, ideal: 64, priority: 5, className: "num", render: (r) => latency(r.max_tts_ms) },
  { title: "STT", min: 56, ideal: 64, priority: 5, className: "num", render: (r) => latency(r.max_stt_ms) },
  {
    title: "Warnings",
    min: 66, ideal: 70, priority: 3,
    className: "num",
    render: (r) => (r.warning_count ? <span className="badge badge-warn">{formatCount(r.warning_count)}</span> : ""),
  },
  {
    title: "Custom data",
    min: 150, ideal: 260, grow: 2, priority: 2,
    className: "mono",
    render: (r) => customDataText(r.custom_data),
    title_: (r) => customDataText(r.custom_data) || undefined,
  },
];

const rowId = (r: CallRow) => String(r.event_id);
const fetchPage = (req: ListRequest) => api.calls(req);

type ListRoute = Extract<Route, { view: "calls" }>;

export function CallsView(props: {
  route: ListRoute;
  navigate: Navigate;
  replace: Navigate;
  feed: LiveFeed;
  onQueryError: (error: ClientError | null) => void;
}) {
  const { route, navigate, replace } = props;
  const onSelect = useCallback((id: string) => replace({ ...route, selected: id }), [replace, route]);
  const onOpen = useCallback((id: string) => navigate({ view: "call", id }), [navigate]);
  const columns = useMemo(() => withMatch(COLUMNS, route.q, 2), [route.q]);
  return (
    <PagedList
      noun="calls"
      subject="calls"
      nounOne="call"
      q={route.q}
      range={route.range}
      selected={route.selected}
      fetchPage={fetchPage}
      columns={columns}
      rowId={rowId}
      onSelect={onSelect}
      onOpen={onOpen}
      onQuery={(q) => navigate({ ...route, q, selected: undefined })}
      onQueryError={props.onQueryError}
      feed={props.feed}
      emptyHint={
        <p>
          <strong>No calls yet.</strong> A call's record (<code>cdr_logged</code>) arrives when the call ends, if the
          log webhook subscribes to CDR. The samples include three: <code>tests/samples/1*_cdr_*.json</code>.
        </p>
      }
    />
  );
}
