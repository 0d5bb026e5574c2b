// A list's length in its toolbar: exact where counting is cheap; otherwise a marked estimate with a
// button that counts exactly. Shown beside what is loaded, so "200 of 18,606 calls" reads true.
import { useEffect, useState } from "react";
import { api } from "../api";
import type { Subject } from "../api/types/Subject";
import type { Total } from "../api/types/Total";
import { formatCount } from "../format";

/** The total of `subject`'s list for `q`; `null` while counting or when the count failed. */
export function useTotal(subject: Subject, q: string, reloads = 0) {
  const [total, setTotal] = useState<Total | null>(null);
  const [counting, setCounting] = useState(false);
  useEffect(() => {
    let live = true;
    setTotal(null);
    api.count(subject, q).then(
      (t) => live && setTotal(t),
      () => undefined, // The list still shows what it loaded; the total is a plus.
    );
    return () => {
      live = false;
    };
  }, [subject, q, reloads]);
  const countExactly = () => {
    setCounting(true);
    api.count(subject, q, true).then(
      (t) => {
        setTotal(t);
        setCounting(false);
      },
      () => setCounting(false),
    );
  };
  return { total, setTotal, counting, countExactly };
}

/**
 * `1,234 calls`, `200 of 18,606 calls`, or `200 of about 45,000 calls (estimate)` with a "count
 * exactly" button; `200+ calls` until the total is known.
 */
export function TotalCount(props: {
  loaded: number;
  more: boolean;
  total: Total | null;
  counting: boolean;
  onCountExactly: () => void;
  noun: string;
  nounOne: string;
}) {
  const { loaded, more, total } = props;
  const noun = (n: number) => (n === 1 ? props.nounOne : props.noun);
  if (!total) return <span data-testid="row-count">{`${formatCount(loaded)}${more ? "+" : ""} ${noun(more ? 2 : loaded)}`}</span>;
  const all = total.count;
  if (total.exact) {
    return (
      <span data-testid="row-count" data-total={all}>
        {loaded < all ? `${formatCount(loaded)} of ${formatCount(all)} ${noun(all)}` : `${formatCount(all)} ${noun(all)}`}
      </span>
    );
  }
  return (
    <span data-testid="row-count" data-estimate={all}>
      {formatCount(loaded)} of about {formatCount(all)} {noun(all)}{" "}
      <span className="badge" title="Counting every match took too long: this is estimated from the newest matches">
        estimate
      </span>{" "}
      <button type="button" className="btn-link" data-testid="count-exactly" disabled={props.counting} onClick={props.onCountExactly}>
        {props.counting ? "counting…" : "count exactly"}
      </button>
    </span>
  );
}
