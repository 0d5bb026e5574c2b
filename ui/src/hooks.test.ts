import { afterEach, describe, expect, it } from "vitest";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { ClientError } from "./api/client";
import { useAsync } from "./hooks";

afterEach(cleanup);

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("useAsync", () => {
  it("loads, then shows the answer", async () => {
    const d = deferred<string>();
    const { result } = renderHook(() => useAsync(() => d.promise, []));
    expect(result.current).toMatchObject({ data: undefined, error: null, loading: true });
    await act(async () => d.resolve("a"));
    expect(result.current).toMatchObject({ data: "a", error: null, loading: false });
  });

  it("drops a slow answer for deps the user has moved on from, and never shows the old record under new deps", async () => {
    const calls: Record<string, ReturnType<typeof deferred<string>>> = { a: deferred(), b: deferred() };
    const { result, rerender } = renderHook(({ id }) => useAsync(() => calls[id].promise, [id]), { initialProps: { id: "a" } });
    await act(async () => calls.a.resolve("record a"));
    expect(result.current.data).toBe("record a");
    rerender({ id: "b" });
    // From the very render with the new id: no data of the old one.
    expect(result.current).toMatchObject({ data: undefined, loading: true });
    await act(async () => calls.b.resolve("record b"));
    expect(result.current.data).toBe("record b");

    const c = { a: deferred<string>(), b: deferred<string>() };
    Object.assign(calls, c);
    rerender({ id: "a" });
    rerender({ id: "b" });
    await act(async () => c.b.resolve("new b"));
    await act(async () => c.a.resolve("late a"));
    expect(result.current.data).toBe("new b");
  });

  it("reports an error as a ClientError", async () => {
    const { result } = renderHook(() => useAsync(() => Promise.reject(new Error("boom")), []));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.error).toBeInstanceOf(ClientError);
    expect(result.current.data).toBeUndefined();
  });

  it("reload keeps the data on screen until the new answer arrives", async () => {
    let n = 0;
    const { result } = renderHook(() => useAsync(() => Promise.resolve(++n), []));
    await waitFor(() => expect(result.current.data).toBe(1));
    act(() => result.current.reload());
    expect(result.current).toMatchObject({ data: 1, loading: true });
    await waitFor(() => expect(result.current).toMatchObject({ data: 2, loading: false }));
  });
});
