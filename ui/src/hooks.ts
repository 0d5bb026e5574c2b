// Hooks shared by the views.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { DependencyList } from "react";
import { ClientError } from "./api/client";

export interface AsyncState<T> {
  /** The last result; `undefined` until the first one arrives (and again as soon as `deps` change). */
  data: T | undefined;
  error: ClientError | null;
  loading: boolean;
  /** Runs the call again, keeping the current data on screen until the new one arrives. */
  reload: () => void;
}

function sameDeps(a: DependencyList, b: DependencyList): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * The one loading hook: runs `fn` when `deps` change and keeps its latest answer. An answer to an
 * older call is dropped, so a fast typist (or a user moving on to the next record) never sees a slow
 * earlier result replace a newer one; and from the very render in which `deps` change, the old
 * answer is no longer returned (no frame of the previous record under the new one's id).
 */
export function useAsync<T>(fn: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<{ deps: DependencyList; data: T | undefined; error: ClientError | null; loading: boolean }>({
    deps,
    data: undefined,
    error: null,
    loading: true,
  });
  const generation = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const depsRef = useRef(deps);
  depsRef.current = deps;

  const run = useCallback((keep: boolean) => {
    const mine = ++generation.current;
    const runDeps = depsRef.current;
    setState((s) => ({ deps: runDeps, data: keep ? s.data : undefined, error: null, loading: true }));
    fnRef.current().then(
      (data) => {
        if (generation.current === mine) setState({ deps: runDeps, data, error: null, loading: false });
      },
      (e: unknown) => {
        if (generation.current === mine) {
          setState((s) => ({ deps: runDeps, data: keep ? s.data : undefined, error: ClientError.from(e), loading: false }));
        }
      },
    );
  }, []);

  useEffect(() => {
    run(false);
    return () => {
      generation.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const reload = useCallback(() => run(true), [run]);
  if (!sameDeps(state.deps, deps)) return { data: undefined, error: null, loading: true, reload };
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** What `j`, `k` and `Enter` do in the list on screen. */
export interface ListKeys {
  /** Moves the selection by `delta` rows (1 for `j`, -1 for `k`). */
  move(delta: number): void;
  /** Opens the selected row. */
  open(): void;
}

let activeList: { current: ListKeys } | null = null;

/** Makes this component's list the one the keyboard drives while it is mounted. */
export function useListKeys(keys: ListKeys): void {
  const ref = useRef(keys);
  ref.current = keys;
  useEffect(() => {
    const entry = {
      get current() {
        return ref.current;
      },
    };
    activeList = entry;
    return () => {
      if (activeList === entry) activeList = null;
    };
  }, []);
}

/** The list the keyboard drives now, if any. */
export function currentListKeys(): ListKeys | null {
  return activeList?.current ?? null;
}

/** True when keys typed now go into a text field (so single-key shortcuts must stay quiet). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (target as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(type);
  }
  return false;
}

/** Whether a media query matches, following changes (e.g. the window's width). */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (notify) => {
      if (typeof window === "undefined" || !window.matchMedia) return () => undefined;
      const mql = window.matchMedia(query);
      mql.addEventListener("change", notify);
      return () => mql.removeEventListener("change", notify);
    },
    () => (typeof window !== "undefined" && window.matchMedia ? window.matchMedia(query).matches : false),
    () => false,
  );
}
