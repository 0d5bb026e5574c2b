import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { ClientError } from "../api/client";

vi.mock("../api", () => ({
  api: {
    qualifiers: vi.fn(async () => [
      { key: "end_reason:", help: "why the call ended" },
      { key: "endpoint:", help: "endpoint" },
      { key: "kind:", help: "kind" },
    ]),
    customKeys: vi.fn(async () => [{ key: "account_id", calls: 3, distinct_values: 2 }]),
    qualifierValues: vi.fn(async (key: string, prefix: string) =>
      key === "intent" && prefix === "pa"
        ? [{ value: "pay_bill", label: "Pay a bill", count: 12 }]
        : key === "channel"
          ? [{ value: "Web chat", label: null, count: 5 }]
          : [],
    ),
  },
}));

const { SearchBox } = await import("./SearchBox");

afterEach(cleanup);

async function setup(value = "", error: ClientError | null = null) {
  const onSubmit = vi.fn();
  render(<SearchBox value={value} onSubmit={onSubmit} error={error} />);
  await act(async () => {}); // the qualifiers load
  const input = screen.getByTestId("search") as HTMLInputElement;
  return { input, onSubmit };
}

function type(input: HTMLInputElement, text: string) {
  fireEvent.change(input, { target: { value: text, selectionStart: text.length } });
}

describe("SearchBox", () => {
  it("completes qualifiers as you type; Tab accepts", async () => {
    const { input } = await setup();
    type(input, "kind:call end");
    const items = screen.getAllByTestId("completion-item");
    expect(items.map((i) => i.textContent)).toEqual(["end_reason:why the call ended", "endpoint:endpoint"]);
    fireEvent.keyDown(input, { key: "Tab" });
    expect(input.value).toBe("kind:call end_reason:");
    expect(screen.queryByTestId("completion")).toBeNull();
  });

  it("arrows choose another suggestion and Enter accepts it without searching", async () => {
    const { input, onSubmit } = await setup();
    type(input, "end");
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(input.value).toBe("endpoint:");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: "Enter" });
    expect(onSubmit).toHaveBeenCalledWith("endpoint:");
  });

  it("completes a qualifier's values from the store, quoted when they need it", async () => {
    const { input } = await setup();
    type(input, "refund intent:pa");
    await act(async () => {});
    const items = screen.getAllByTestId("completion-item");
    expect(items.map((i) => i.textContent)).toEqual(["intent:pay_billPay a bill · 12×"]);
    fireEvent.keyDown(input, { key: "Tab" });
    expect(input.value).toBe("refund intent:pay_bill ");
    type(input, "refund intent:pay_bill channel:");
    await act(async () => {});
    fireEvent.keyDown(input, { key: "Enter" });
    expect(input.value).toBe('refund intent:pay_bill channel:"Web chat" ');
  });

  it("Esc closes the suggestions first", async () => {
    const { input } = await setup();
    type(input, "ki");
    expect(screen.getByTestId("completion")).toBeTruthy();
    fireEvent.keyDown(input, { key: "Escape" });
    expect(screen.queryByTestId("completion")).toBeNull();
    expect(input.value).toBe("ki");
  });

  it("highlights the offending part of a bad query, counting bytes", async () => {
    const q = "déjà vu 😀 bogus:1";
    const start = new TextEncoder().encode("déjà vu 😀 ").length;
    const error = new ClientError({ kind: "bad_query", message: 'unknown qualifier "bogus"', span: [start, start + 5] });
    const { input } = await setup(q, error);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("query-error-span").textContent).toBe("bogus");
    expect(screen.getByTestId("query-error").textContent).toContain('unknown qualifier "bogus"');
  });

  it("lists the qualifiers in its help", async () => {
    await setup();
    fireEvent.click(screen.getByTestId("search-help"));
    const panel = screen.getByTestId("search-help-panel");
    expect(panel.textContent).toContain("end_reason:");
    expect(panel.textContent).toContain("why the call ended");
  });
});
