// How a list's columns share the width they have: each column has a smallest useful width, a width
// it is happy with, and a priority. Columns are dropped lowest priority first until the rest fit at
// their smallest; the space left brings each towards its ideal width, then goes to the columns that
// grow (free text). A column the user resized keeps that width; a column the user hid is not shown.
// The sum never exceeds the width available, so a row never scrolls sideways.

export interface ColumnSpec {
  /** Stable id (the header text), also the key of the user's choices. */
  id: string;
  /** Narrower than this the content is useless (a badge clipped, a date cut). */
  min: number;
  /** Content of typical length fits. */
  ideal: number;
  /** Share of the space left after every column reached its ideal (free-text columns). */
  grow?: number;
  /** 1 = always shown when possible; higher numbers are dropped first when space is short. */
  priority: number;
}

/** What the user chose for one list: widths set by dragging, and columns hidden. */
export interface ColumnPrefs {
  widths: Record<string, number>;
  hidden: string[];
}

export const NO_PREFS: ColumnPrefs = { widths: {}, hidden: [] };

export interface ColumnLayout {
  /** Pixel width per column id, for the columns shown, in their order. */
  widths: Map<string, number>;
  /** Columns left out for lack of space (not hidden by the user). */
  dropped: string[];
}

/**
 * Lays `columns` out in `available` pixels, with `gap` pixels between two shown columns.
 */
export function layoutColumns(columns: ColumnSpec[], available: number, gap: number, prefs: ColumnPrefs): ColumnLayout {
  const wanted = columns.filter((c) => !prefs.hidden.includes(c.id));
  const base = (c: ColumnSpec) => Math.max(c.min, prefs.widths[c.id] ?? c.min);
  const need = (cols: ColumnSpec[]) => cols.reduce((sum, c) => sum + base(c), 0) + gap * Math.max(0, cols.length - 1);

  // Drop the lowest priority (the last of equals) until the rest fit, keeping at least one column.
  let shown = [...wanted];
  const dropped: string[] = [];
  while (shown.length > 1 && need(shown) > available) {
    let victim = shown[0];
    for (const c of shown) if (c.priority >= victim.priority) victim = c;
    shown = shown.filter((c) => c !== victim);
    dropped.push(victim.id);
  }

  const width = new Map<string, number>(shown.map((c) => [c.id, base(c)]));
  let left = available - need(shown);
  // Towards each column's ideal (user-set widths are kept as set).
  const growable = shown.filter((c) => prefs.widths[c.id] === undefined);
  const short = growable.reduce((sum, c) => sum + Math.max(0, c.ideal - width.get(c.id)!), 0);
  if (left > 0 && short > 0) {
    const share = Math.min(1, left / short);
    for (const c of growable) {
      const add = Math.floor(Math.max(0, c.ideal - width.get(c.id)!) * share);
      width.set(c.id, width.get(c.id)! + add);
      left -= add;
    }
  }
  // The rest to the growing columns, or, if none is shown, to every column towards nothing more:
  // the row then ends short of the edge rather than stretching a date.
  const growers = growable.filter((c) => (c.grow ?? 0) > 0);
  const weight = growers.reduce((sum, c) => sum + (c.grow ?? 0), 0);
  if (left > 0 && weight > 0) {
    let given = 0;
    growers.forEach((c, i) => {
      const add = i === growers.length - 1 ? left - given : Math.floor((left * (c.grow ?? 0)) / weight);
      width.set(c.id, width.get(c.id)! + add);
      given += add;
    });
  }
  const ordered = new Map<string, number>();
  for (const c of columns) if (width.has(c.id)) ordered.set(c.id, width.get(c.id)!);
  return { widths: ordered, dropped };
}

const PREFS_PREFIX = "logbook.columns.";

/** The user's column choices for list `list`, as saved in this browser. */
export function loadPrefs(list: string): ColumnPrefs {
  try {
    const raw = localStorage.getItem(PREFS_PREFIX + list);
    if (!raw) return NO_PREFS;
    const parsed = JSON.parse(raw) as Partial<ColumnPrefs>;
    const widths: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed.widths ?? {})) if (typeof v === "number" && v > 0) widths[k] = v;
    const hidden = Array.isArray(parsed.hidden) ? parsed.hidden.filter((h): h is string => typeof h === "string") : [];
    return { widths, hidden };
  } catch {
    return NO_PREFS;
  }
}

export function savePrefs(list: string, prefs: ColumnPrefs) {
  try {
    localStorage.setItem(PREFS_PREFIX + list, JSON.stringify(prefs));
  } catch {
    // Storage full or refused: the choice holds until the page is reloaded.
  }
}
