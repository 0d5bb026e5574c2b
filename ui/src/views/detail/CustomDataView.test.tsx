import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, ClientError } from "../../api";
import { CustomDataView } from "./CustomDataView";
import { customCalls, customKeys, customValues } from "./fixtures/custom";

vi.mock("../../api", () => import("./mockApi"));

beforeEach(() => {
  vi.mocked(api.customKeys).mockReset().mockResolvedValue(customKeys);
  vi.mocked(api.customValues).mockReset().mockResolvedValue(customValues);
  vi.mocked(api.customCalls).mockReset().mockResolvedValue(customCalls);
});

describe("CustomDataView", () => {
  it("goes key → value → calls, each step through navigate", async () => {
    const navigate = vi.fn();

    // Keys, with their call counts and distinct values.
    const keys = render(<CustomDataView navigate={navigate} />);
    const key = await screen.findByRole("link", { name: "call_reason" });
    expect(screen.getAllByRole("row")).toHaveLength(1 + customKeys.length);
    fireEvent.click(key);
    expect(navigate).toHaveBeenLastCalledWith({ view: "custom", key: "call_reason" });
    keys.unmount();

    // One key: its values, and the Calls list filtered by the key.
    const values = render(<CustomDataView keyName="call_reason" navigate={navigate} />);
    const value = await screen.findByRole("link", { name: '"pay_bill"' });
    expect(api.customValues).toHaveBeenCalledWith("call_reason");
    fireEvent.click(value);
    expect(navigate).toHaveBeenLastCalledWith({ view: "custom", key: "call_reason", value: "pay_bill" });
    fireEvent.click(screen.getByRole("link", { name: "All calls with this key in the Calls list" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: "custom.call_reason:*" });
    fireEvent.click(screen.getByRole("link", { name: "Custom data" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "custom" });
    values.unmount();

    // Key and value: the calls carrying it, each one click from its call view.
    render(<CustomDataView keyName="call_reason" value="pay_bill" navigate={navigate} />);
    const call = await screen.findByRole("link", { name: "b231ef28-c861-4f33-8a17-384d95d6ddb5" });
    expect(api.customCalls).toHaveBeenCalledWith("call_reason", "pay_bill");
    expect(screen.getByText("+18885550146")).toBeTruthy();
    expect(screen.getByText("27.5 s")).toBeTruthy();
    fireEvent.click(call);
    expect(navigate).toHaveBeenLastCalledWith({ view: "call", id: "b231ef28-c861-4f33-8a17-384d95d6ddb5" });
    const list = screen.getByRole("link", { name: "Open these calls in the Calls list" });
    expect(list.getAttribute("href")).toBe("#/calls?q=custom.call_reason%3Apay_bill");
    fireEvent.click(list);
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: "custom.call_reason:pay_bill" });
  });

  it("passes non-string values as JSON and quotes values with spaces in the query", async () => {
    const navigate = vi.fn();
    vi.mocked(api.customValues).mockResolvedValue([
      { value: true, calls: 3 },
      { value: "pay my bill", calls: 1 },
    ]);
    const { unmount } = render(<CustomDataView keyName="flag" navigate={navigate} />);
    fireEvent.click(await screen.findByRole("link", { name: "true" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "custom", key: "flag", value: "true" });
    fireEvent.click(screen.getByRole("link", { name: '"pay my bill"' }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "custom", key: "flag", value: "pay my bill" });
    unmount();

    render(<CustomDataView keyName="flag" value="pay my bill" navigate={navigate} />);
    fireEvent.click(await screen.findByRole("link", { name: "Open these calls in the Calls list" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: 'custom.flag:"pay my bill"' });
  });

  it("says so when no call carries custom data, and shows errors as a sentence", async () => {
    vi.mocked(api.customKeys).mockResolvedValue([]);
    const { unmount } = render(<CustomDataView navigate={vi.fn()} />);
    expect(await screen.findByText("No call record carries injected custom data yet.")).toBeTruthy();
    unmount();

    vi.mocked(api.customCalls).mockRejectedValue(new ClientError({ kind: "timeout", message: "The query took longer than 5 s.", span: null }));
    render(<CustomDataView keyName="k" value="v" navigate={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("The query took longer than 5 s.");
  });
});
