// A virtualised table: only the rows on screen are in the DOM, so 100,000 rows scroll as smoothly
// as 100. Fixed row height (the `--row-height` CSS variable), keyboard selection (`j`/`k`/`Enter`),
// and a callback when the end comes into view, for keyset paging.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { PointerEvent as ReactPointerEvent, ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { layoutColumns } from "../columns";
import type { ColumnPrefs, ColumnSpec } from "../columns";
import { useListKeys } from "../hooks";

/** Must match `--row-height` in styles.css. */
export const ROW_HEIGHT_PX = 32;

/** Must match `.list-head`'s height in styles.css. */
const HEAD_HEIGHT_PX = 28;

/** Ask for the next page when the last rendered row is this close to the end. */
const END_THRESHOLD_ROWS = 20;

/** Must match the horizontal padding and the gap of `.list-row` in styles.css. */
const ROW_PADDING_PX = 12;
const COLUMN_GAP_PX = 10;

/** A column: its header (also its id), its widths and priority (see columns.ts), and its cells. */
export interface Column<T> extends Omit<ColumnSpec, "id"> {
  title: string;
  className?: string;
  render: (row: T) => ReactNode;
  /** The cell's tooltip (the full text of a truncated value). */
  title_?: (row: T) => string | undefined;
}

interface Props<T> {
  rows: T[];
  columns: Column<T>[];
  rowId: (row: T) => string;
  selected?: string;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
  /** What a click does: select the row (a side panel shows it) or open it. */
  clickOpens?: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onEndReached: () => void;
  /** Shown below the last row. */
  footer?: ReactNode;
  /** Rows to flash as new. */
  isNew?: (row: T) => boolean;
  /** Keep the rows on screen in place when rows are inserted above them (live lists). */
  anchorTop?: boolean;
  label: string;
  /** The user's widths and hidden columns, and where to send changes (dragging a header edge). */
  prefs: ColumnPrefs;
  onPrefs: (prefs: ColumnPrefs) => void;
  /** Hears which columns are left out for lack of room at the current width. */
  onDropped?: (ids: string[]) => void;
}

export function VirtualList<T>(props: Props<T>) {
  const { rows, rowId, selected, prefs, onPrefs, onDropped } = props;
  const scroller = useRef<HTMLDivElement>(null);

  // The width the rows have (without the scroll bar), followed as the window changes.
  const [available, setAvailable] = useState(0);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setAvailable(Math.max(0, el.clientWidth - 2 * ROW_PADDING_PX));
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const specs = props.columns.map((c) => ({ ...c, id: c.title }));
  // Before the first measurement (and in tests without layout) every column at its ideal width.
  const layout =
    available > 0
      ? layoutColumns(specs, available, COLUMN_GAP_PX, prefs)
      : { widths: new Map(specs.filter((c) => !prefs.hidden.includes(c.id)).map((c) => [c.id, c.ideal])), dropped: [] };
  const columns = props.columns.filter((c) => layout.widths.has(c.title));
  const template = columns.map((c) => `${layout.widths.get(c.title)}px`).join(" ");
  const droppedKey = layout.dropped.join("\n");
  useEffect(() => {
    onDropped?.(droppedKey ? droppedKey.split("\n") : []);
  }, [droppedKey, onDropped]);

  // Dragging a header's right edge sets that column's width; a double click gives it back.
  const startResize = (e: ReactPointerEvent<HTMLDivElement>, id: string) => {
    e.preventDefault();
    e.stopPropagation();
    const handle = e.currentTarget;
    const startX = e.clientX;
    const startWidth = layout.widths.get(id) ?? 0;
    handle.setPointerCapture?.(e.pointerId);
    let latest = prefs;
    const move = (ev: PointerEvent) => {
      const width = Math.max(24, Math.round(startWidth + ev.clientX - startX));
      latest = { ...prefs, widths: { ...prefs.widths, [id]: width } };
      onPrefs(latest);
    };
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      handle.removeEventListener("pointercancel", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
    handle.addEventListener("pointercancel", up);
  };
  const resetWidth = (id: string) => {
    const widths = { ...prefs.widths };
    delete widths[id];
    onPrefs({ ...prefs, widths });
  };

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 12,
    // The sticky header covers the top of the scroller: keyboard scrolling keeps rows below it.
    scrollPaddingStart: HEAD_HEIGHT_PX,
    getItemKey: (i) => rowId(rows[i]),
  });

  // Keep the view steady when rows arrive above it: shift the scroll position by the rows added
  // above the previous first row (only when the user has scrolled away from the top).
  const firstId = useRef<string | null>(null);
  useLayoutEffect(() => {
    const prev = firstId.current;
    firstId.current = rows.length ? rowId(rows[0]) : null;
    const el = scroller.current;
    if (!props.anchorTop || !el || prev === null || el.scrollTop <= 0) return;
    if (rows.length && rowId(rows[0]) === prev) return;
    // New rows come in at the top, so the old head is near it.
    const limit = Math.min(rows.length, 50_000);
    for (let i = 1; i < limit; i++) {
      if (rowId(rows[i]) === prev) {
        el.scrollTop += i * ROW_HEIGHT_PX;
        break;
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows]);

  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;
  const { hasMore, loadingMore, onEndReached } = props;
  useEffect(() => {
    if (hasMore && !loadingMore && rows.length > 0 && lastIndex >= rows.length - END_THRESHOLD_ROWS) onEndReached();
  }, [lastIndex, rows.length, hasMore, loadingMore, onEndReached]);

  // Bring the selected row (from the URL) into view once the rows are there.
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (!selected || scrolledTo.current === selected || !rows.length) return;
    const index = rows.findIndex((r) => rowId(r) === selected);
    if (index >= 0) {
      scrolledTo.current = selected;
      virtualizer.scrollToIndex(index, { align: "auto" });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected, rows]);

  useListKeys({
    move(delta) {
      if (!rows.length) return;
      const current = selected ? rows.findIndex((r) => rowId(r) === selected) : -1;
      const next = current < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, current + delta));
      const id = rowId(rows[next]);
      scrolledTo.current = id;
      virtualizer.scrollToIndex(next, { align: "auto" });
      props.onSelect(id);
    },
    open() {
      if (selected) props.onOpen(selected);
    },
  });

  return (
    <div className="list-scroll" ref={scroller} role="grid" aria-label={props.label} aria-rowcount={rows.length} data-testid="list">
      <div className="list-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.title} role="columnheader" className={`col-head${c.className?.includes("num") ? " num" : ""}`} title={c.title}>
            <span className="col-title">{c.title}</span>
            <div
              className="col-resize"
              role="separator"
              aria-orientation="vertical"
              aria-label={`Resize ${c.title}`}
              title="Drag to resize; double-click for the automatic width"
              data-testid={`resize-${c.title}`}
              onPointerDown={(e) => startResize(e, c.title)}
              onDoubleClick={() => resetWidth(c.title)}
              onClick={(e) => e.stopPropagation()}
            />
          </div>
        ))}
      </div>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((item) => {
          const row = rows[item.index];
          const id = rowId(row);
          return (
            <div
              key={item.key}
              role="row"
              data-testid="row"
              data-id={id}
              aria-rowindex={item.index + 1}
              aria-selected={id === selected}
              className={`list-row${props.isNew?.(row) ? " is-new" : ""}`}
              style={{
                gridTemplateColumns: template,
                position: "absolute",
                top: 0,
                left: 0,
                right: 0,
                transform: `translateY(${item.start}px)`,
              }}
              onClick={() => {
                scrolledTo.current = id;
                if (props.clickOpens) props.onOpen(id);
                else props.onSelect(id);
              }}
              onDoubleClick={() => props.onOpen(id)}
            >
              {columns.map((c) => (
                <div key={c.title} role="gridcell" className={c.className} title={c.title_?.(row)}>
                  {c.render(row)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
      {props.footer ? <div className="list-footer">{props.footer}</div> : null}
    </div>
  );
}
