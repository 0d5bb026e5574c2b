// One Trends panel: a title, a chart, and the chart's numbers as a table behind a toggle (the
// table is also what a screen reader gets). Cells are React text: payload values never become HTML.
import { useState, type ReactNode } from "react";
import "./trends.css";

export interface TableData {
  header: string[];
  rows: Array<Array<string | number>>;
}

export function ChartPanel(props: { title: string; id: string; note?: ReactNode; table: TableData; children: ReactNode }) {
  const { title, id, note, table, children } = props;
  const [asTable, setAsTable] = useState(false);
  return (
    <section className="panel trends-panel" data-testid={`trends-${id}`} aria-labelledby={`trends-${id}-title`}>
      <header className="trends-panel-head">
        <h3 id={`trends-${id}-title`}>{title}</h3>
        <button
          type="button"
          className="small"
          aria-pressed={asTable}
          data-testid={`trends-${id}-table-toggle`}
          onClick={() => setAsTable((t) => !t)}
        >
          {asTable ? "Chart" : "Table"}
        </button>
      </header>
      {note && <p className="muted small trends-note">{note}</p>}
      {asTable ? <NumbersTable table={table} /> : children}
    </section>
  );
}

export function NumbersTable({ table }: { table: TableData }) {
  if (table.rows.length === 0) return <p className="muted small">Nothing in the range.</p>;
  return (
    <div className="trends-table-wrap">
      <table className="trends-table">
        <thead>
          <tr>
            {table.header.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j} className={typeof cell === "number" ? "num" : undefined}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
