// The conversations (one per session_id): who, on which channel, how many turns, when, and what
// the user said first.
import { useCallback, useMemo } from "react";
import { api } from "../api";
import type { ClientError, ListRequest } from "../api";
import type { ConversationRow } from "../api/types/ConversationRow";
import type { Column } from "../components/VirtualList";
import { withMatch } from "../components/HitSnippet";
import { formatCount, formatDateTime } from "../format";
import type { LiveFeed } from "../liveFeed";
import type { Navigate, Route } from "../routes";
import { PagedList } from "./PagedList";

const COLUMNS: Column<ConversationRow>[] = [
  { title: "First", min: 156, ideal: 156, priority: 2, className: "mono", render: (r) => formatDateTime(r.first_at) },
  { title: "Last", min: 156, ideal: 156, priority: 1, className: "mono", render: (r) => formatDateTime(r.last_at) },
  { title: "Turns", min: 48, ideal: 52, priority: 1, className: "num", render: (r) => formatCount(r.turns) },
  { title: "Session", min: 110, ideal: 300, priority: 3, className: "mono", render: (r) => r.session_id, title_: (r) => r.session_id },
  { title: "User", min: 100, ideal: 440, priority: 2, render: (r) => r.user_id ?? "", title_: (r) => r.user_id ?? undefined },
  { title: "Channel", min: 76, ideal: 100, priority: 2, render: (r) => r.channel ?? "" },
  {
    title: "First user text",
    min: 180, ideal: 320, grow: 1, priority: 1,
    render: (r) => (r.first_text ? r.first_text : <span className="muted">(no text)</span>),
    title_: (r) => r.first_text ?? undefined,
  },
];

const rowId = (r: ConversationRow) => r.session_id;
const fetchPage = (req: ListRequest) => api.conversations(req);

type ListRoute = Extract<Route, { view: "conversations" }>;

export function ConversationsView(props: {
  route: ListRoute;
  navigate: Navigate;
  replace: Navigate;
  feed: LiveFeed;
  onQueryError: (error: ClientError | null) => void;
}) {
  const { route, navigate, replace } = props;
  const onSelect = useCallback((id: string) => replace({ ...route, selected: id }), [replace, route]);
  // A row found by free text opens at its first matching turn.
  const onOpen = useCallback(
    (id: string, row: ConversationRow | undefined) => navigate({ view: "conversation", id, turn: row?.hit?.turn ?? undefined }),
    [navigate],
  );
  const columns = useMemo(() => withMatch(COLUMNS, route.q, 3), [route.q]);
  return (
    <PagedList
      noun="conversations"
      subject="conversations"
      nounOne="conversation"
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
          <strong>No conversations yet.</strong> Each <code>message_logged</code> event joins the conversation of its
          session; the Live tab shows requests as they arrive.
        </p>
      }
    />
  );
}
