import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render } from "@testing-library/react";
import type { Hit } from "../api/types/Hit";
import { HitSnippet, hasFreeText, hitText, withMatch } from "./HitSnippet";

afterEach(cleanup);

const hit: Hit = {
  event_id: 7,
  turn: 2,
  segments: [
    { text: "please <script>alert(1)</script> \u0001", hit: false },
    { text: "refund", hit: true },
    { text: " my <mark>café</mark> ", hit: false },
    { text: "CAFÉ", hit: true },
  ],
};

describe("a free-text hit in a list row", () => {
  it("marks exactly the matched words and renders payload text as text", () => {
    const { container } = render(<HitSnippet hit={hit} />);
    const marks = [...container.querySelectorAll("mark")].map((m) => m.textContent);
    expect(marks).toEqual(["refund", "CAFÉ"]);
    // Markup in the payload is text: no script element, no mark the payload wrote itself.
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toBe("please <script>alert(1)</script> \u0001refund my <mark>café</mark> CAFÉ");
    expect(hitText(hit)).toBe(container.textContent);
  });

  it("adds the match column only when the query has free text", () => {
    expect(hasFreeText("refund")).toBe(true);
    expect(hasFreeText('"order status" channel:web')).toBe(true);
    expect(hasFreeText("channel:web end_reason:failed")).toBe(false);
    expect(hasFreeText("-spam")).toBe(false);
    expect(hasFreeText(undefined)).toBe(false);
    const columns = [{ title: "A", min: 1, ideal: 1, priority: 1, render: () => "" }];
    expect(withMatch(columns, "intent:x", 1).map((c) => c.title)).toEqual(["A"]);
    expect(withMatch(columns, "intent:x refund", 1).map((c) => c.title)).toEqual(["A", "Match"]);
  });
});
