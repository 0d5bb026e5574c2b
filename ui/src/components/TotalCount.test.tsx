import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { Total } from "../api/types/Total";

const count = vi.fn(async (_subject: string, _q: string, exact?: boolean): Promise<Total> =>
  exact ? { count: 45_123, exact: true } : { count: 45_000, exact: false },
);
vi.mock("../api", () => ({ api: { count: (s: string, q: string, e?: boolean) => count(s, q, e) } }));
const { TotalCount, useTotal } = await import("./TotalCount");

afterEach(cleanup);

function Probe(props: { loaded: number; more: boolean }) {
  const t = useTotal("calls", "failed:true");
  return (
    <TotalCount
      loaded={props.loaded}
      more={props.more}
      total={t.total}
      counting={t.counting}
      onCountExactly={t.countExactly}
      noun="calls"
      nounOne="call"
    />
  );
}

describe("TotalCount", () => {
  it("marks an estimate and counts exactly when asked", async () => {
    render(<Probe loaded={200} more />);
    expect(screen.getByTestId("row-count").textContent).toBe("200+ calls");
    await act(async () => {});
    expect(count).toHaveBeenCalledWith("calls", "failed:true", undefined);
    expect(screen.getByTestId("row-count").textContent).toBe("200 of about 45,000 calls estimate count exactly");
    fireEvent.click(screen.getByTestId("count-exactly"));
    await act(async () => {});
    expect(count).toHaveBeenLastCalledWith("calls", "failed:true", true);
    expect(screen.getByTestId("row-count").textContent).toBe("200 of 45,123 calls");
    expect(screen.queryByTestId("count-exactly")).toBeNull();
  });

  it("says the whole count when everything is loaded", () => {
    const props = { counting: false, onCountExactly: () => undefined, noun: "calls", nounOne: "call" };
    render(<TotalCount loaded={1} more={false} total={{ count: 1, exact: true }} {...props} />);
    expect(screen.getByTestId("row-count").textContent).toBe("1 call");
  });
});
