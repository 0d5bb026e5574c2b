// The header's search box: the query language with qualifier completion as you type, a help
// popover listing the qualifiers, and `bad_query` errors shown under it with the offending part
// highlighted.
import { useEffect, useImperativeHandle, useRef, useState } from "react";
import type { KeyboardEvent, Ref } from "react";
import { api } from "../api";
import { ClientError } from "../api/client";
import type { Qualifier } from "../api/types/Qualifier";
import { acceptCompletion, complete, splitAtSpan, valueCompletion, valueContext } from "../query";
import type { Completion } from "../query";

export interface SearchBoxHandle {
  focus(): void;
}

interface Props {
  /** The query in effect (from the URL). */
  value: string;
  onSubmit: (q: string) => void;
  /** A `bad_query` error for `value`, shown under the box. */
  error: ClientError | null;
  placeholder?: string;
  /** On views the search does not apply to. */
  disabled?: boolean;
  ref?: Ref<SearchBoxHandle>;
}

let customKeysCache: Promise<string[]> | null = null;

/** The custom-data keys, fetched once, for `custom.` completion. */
function customKeys(): Promise<string[]> {
  customKeysCache ??= api.customKeys().then(
    (keys) => keys.map((k) => k.key),
    () => {
      customKeysCache = null;
      return [];
    },
  );
  return customKeysCache;
}

export function SearchBox(props: Props) {
  const { value, onSubmit, error, ref } = props;
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value);
  const [qualifiers, setQualifiers] = useState<Qualifier[]>([]);
  const [keys, setKeys] = useState<string[]>([]);
  const [completion, setCompletion] = useState<Completion | null>(null);
  const [active, setActive] = useState(0);
  const [helpOpen, setHelpOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);

  useImperativeHandle(ref, () => ({
    focus: () => {
      input.current?.focus();
      input.current?.select();
    },
  }));

  // The URL is the truth: back/forward and facet clicks change the query under the box.
  useEffect(() => setText(value), [value]);

  useEffect(() => {
    let live = true;
    api.qualifiers().then(
      (q) => live && setQualifiers(q),
      () => undefined, // Completion is a convenience: without the list the box still works.
    );
    return () => {
      live = false;
    };
  }, []);

  // Close popovers on a click elsewhere.
  useEffect(() => {
    if (!helpOpen && !completion) return;
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) {
        setHelpOpen(false);
        setCompletion(null);
      }
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [helpOpen, completion]);

  // The newest value request: an older answer arriving late is dropped.
  const valueRequest = useRef(0);

  const suggest = (next: string, caret: number, customList = keys) => {
    const values = valueContext(next, caret);
    if (values) {
      // The values a qualifier takes come from the store, a moment later.
      const mine = ++valueRequest.current;
      setCompletion(null);
      api.qualifierValues(values.key, values.prefix).then(
        (hints) => {
          if (mine !== valueRequest.current) return;
          setCompletion(valueCompletion(values, hints));
          setActive(0);
        },
        () => undefined, // A hint: without it the box still works.
      );
      return;
    }
    valueRequest.current++;
    const c = complete(next, caret, qualifiers, customList);
    setCompletion(c);
    setActive(0);
    if (!customList.length && /(^|\s)-?custom\.\S*$/i.test(next.slice(0, caret))) {
      void customKeys().then((loaded) => {
        if (!loaded.length) return;
        setKeys(loaded);
        const el = input.current;
        if (el) setCompletion(complete(el.value, el.selectionStart ?? el.value.length, qualifiers, loaded));
      });
    }
  };

  const accept = (key: string) => {
    if (!completion) return;
    const { text: next, caret } = acceptCompletion(text, completion, key);
    setText(next);
    setCompletion(null);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(caret, caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (completion && completion.items.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = completion.items.length;
        setActive((a) => (a + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === "Tab" || e.key === "Enter") {
        e.preventDefault();
        accept(completion.items[Math.min(active, completion.items.length - 1)].key);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setCompletion(null);
        return;
      }
    }
    if (e.key === "Enter") {
      e.preventDefault();
      setHelpOpen(false);
      onSubmit(text.trim());
    } else if (e.key === "Escape") {
      e.preventDefault();
      setHelpOpen(false);
      input.current?.blur();
    }
  };

  const insertKey = (key: string) => {
    const base = text.trimEnd();
    const next = base ? `${base} ${key}` : key;
    setText(next);
    setHelpOpen(false);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(next.length, next.length);
    });
  };

  const badQuery = error && error.kind === "bad_query" ? error : null;
  const [before, bad, after] = splitAtSpan(value, badQuery?.span ?? null);

  return (
    <div className="search" ref={wrap}>
      <div style={{ display: "flex", gap: 6 }}>
        <div style={{ position: "relative", flex: 1 }}>
          <input
            ref={input}
            type="search"
            data-testid="search"
            aria-label="Search"
            aria-invalid={badQuery ? true : undefined}
            aria-autocomplete="list"
            aria-expanded={completion ? true : false}
            aria-controls="search-completion"
            autoComplete="off"
            disabled={props.disabled}
            spellCheck={false}
            placeholder={props.placeholder ?? "Search (/): words, \"phrases\", kind:call end_reason:failed …"}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              suggest(e.target.value, e.target.selectionStart ?? e.target.value.length);
            }}
            onKeyDown={onKeyDown}
            onBlur={() => setTimeout(() => setCompletion(null), 150)}
          />
          {text ? (
            <button
              type="button"
              className="search-clear"
              aria-label="Clear the search"
              title="Clear the search"
              onClick={() => {
                setText("");
                setCompletion(null);
                onSubmit("");
              }}
            >
              ×
            </button>
          ) : null}
          {completion && completion.items.length ? (
            <ul className="popover completion" id="search-completion" role="listbox" data-testid="completion">
              {completion.items.map((item, i) => (
                <li
                  key={item.key}
                  role="option"
                  aria-selected={i === active}
                  data-testid="completion-item"
                  onMouseDown={(e) => {
                    e.preventDefault();
                    accept(item.key);
                  }}
                  onMouseEnter={() => setActive(i)}
                >
                  <span className="key">{item.key.trimEnd()}</span>
                  <span className="muted truncate">{item.help}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <button
          type="button"
          className="btn"
          data-testid="search-help"
          aria-expanded={helpOpen}
          title="Search help"
          onClick={() => setHelpOpen((o) => !o)}
        >
          ?
        </button>
      </div>
      {helpOpen ? <SearchHelp qualifiers={qualifiers} onPick={insertKey} /> : null}
      {badQuery ? (
        <div className="query-error" role="alert" data-testid="query-error">
          {value ? (
            <div className="echo">
              {before}
              <mark data-testid="query-error-span">{bad || "\u00a0"}</mark>
              {after}
            </div>
          ) : null}
          <div>{badQuery.message}</div>
        </div>
      ) : null}
    </div>
  );
}

function SearchHelp(props: { qualifiers: Qualifier[]; onPick: (key: string) => void }) {
  return (
    <div className="popover popover-right help" data-testid="search-help-panel" style={{ left: "auto" }}>
      <p style={{ marginTop: 0 }}>
        Words and <code>"quoted phrases"</code> search what users and the assistant said, intents, entities, phone
        numbers, failure details, warnings and custom data. After a qualifier's <code>:</code> its values are offered
        (<code>intent:pa</code>, <code>channel:</code>). Qualifiers narrow the list; <code>-</code> before any term excludes it. Press{" "}
        <kbd>Enter</kbd> to search; <kbd>Tab</kbd> accepts a suggestion.
      </p>
      {props.qualifiers.length ? (
        <table>
          <tbody>
            {props.qualifiers.map((q) => (
              <tr key={q.key}>
                <td>
                  <button type="button" className="help-key" onClick={() => props.onPick(q.key)}>
                    {q.key}
                  </button>
                </td>
                <td>{q.help}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">The list of qualifiers could not be loaded.</p>
      )}
      <p className="muted" style={{ marginBottom: 0 }}>
        Examples: <code>kind:call end_reason:failed</code>, <code>failure:codec</code>,{" "}
        <code>action:"Check order status"</code>, <code>intent:pay_bill -channel:web</code>,{" "}
        <code>custom.account_id:*</code>, <code>latency.assistant&gt;800ms after:24h</code>.
        <br />
        Keys: <kbd>/</kbd> search, <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> open, <kbd>Esc</kbd> back.
      </p>
    </div>
  );
}
