// The toolbar's "Columns" menu: show or hide each column of a list, and give back the automatic
// widths. Columns left out for lack of room say so.
import { useCallback, useEffect, useRef, useState } from "react";
import { loadPrefs, savePrefs } from "../columns";
import type { ColumnPrefs } from "../columns";

export function ColumnsMenu(props: {
  columns: { title: string }[];
  prefs: ColumnPrefs;
  onPrefs: (prefs: ColumnPrefs) => void;
  /** Columns not shown for lack of room. */
  dropped: string[];
}) {
  const { prefs, onPrefs } = props;
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        setOpen(false);
      }
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  const toggle = (title: string) => {
    const hidden = prefs.hidden.includes(title) ? prefs.hidden.filter((h) => h !== title) : [...prefs.hidden, title];
    onPrefs({ ...prefs, hidden });
  };
  return (
    <div className="columns-menu" ref={wrap}>
      <button type="button" className="btn" aria-expanded={open} data-testid="columns-menu" onClick={() => setOpen((o) => !o)}>
        Columns
      </button>
      {open ? (
        <div className="popover popover-right" role="dialog" aria-label="Columns" data-testid="columns-panel">
          <ul className="plain">
            {props.columns.map((c) => (
              <li key={c.title}>
                <label>
                  <input
                    type="checkbox"
                    checked={!prefs.hidden.includes(c.title)}
                    onChange={() => toggle(c.title)}
                    data-testid={`column-${c.title}`}
                  />{" "}
                  {c.title}
                  {props.dropped.includes(c.title) ? <span className="muted"> (no room: widen the window or hide another)</span> : null}
                </label>
              </li>
            ))}
          </ul>
          <button
            type="button"
            className="btn-link"
            disabled={!Object.keys(prefs.widths).length && !prefs.hidden.length}
            onClick={() => onPrefs({ widths: {}, hidden: [] })}
          >
            Automatic widths, every column
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** A list's column choices, kept in this browser, and the columns the current width leaves out. */
export function useColumnPrefs(list: string) {
  const [prefs, setPrefs] = useState<ColumnPrefs>(() => loadPrefs(list));
  const [dropped, setDropped] = useState<string[]>([]);
  const onPrefs = useCallback(
    (next: ColumnPrefs) => {
      setPrefs(next);
      savePrefs(list, next);
    },
    [list],
  );
  return { prefs, onPrefs, dropped, onDropped: setDropped };
}
