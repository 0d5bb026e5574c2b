import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, ClientError } from "../../api";
import type { Conversation } from "../../api/types/Conversation";
import type { OutputItem } from "../../api/types/OutputItem";
import { ConversationView } from "./ConversationView";
import { conversationPhone, conversationWebchat } from "./fixtures/conversation";

vi.mock("../../api", () => import("./mockApi"));

const clone = <T,>(value: T): T => structuredClone(value);

async function renderConversation(c: Conversation, turn?: number) {
  vi.mocked(api.conversation).mockResolvedValue(c);
  const navigate = vi.fn();
  const view = render(<ConversationView id={c.session_id} turn={turn} navigate={navigate} />);
  const turns = await screen.findAllByTestId("turn");
  return { ...view, navigate, turns };
}

beforeEach(() => {
  vi.mocked(api.conversation).mockReset();
});

describe("ConversationView", () => {
  it("shows a loading state, then the web chat's five turns with their user texts and item kinds", async () => {
    vi.mocked(api.conversation).mockResolvedValue(conversationWebchat);
    render(<ConversationView id={conversationWebchat.session_id} navigate={vi.fn()} />);
    expect(screen.getByRole("status").textContent).toMatch(/Loading conversation/);
    const turns = await screen.findAllByTestId("turn");
    expect(api.conversation).toHaveBeenCalledWith("c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05");
    expect(turns).toHaveLength(5);

    const userTexts = turns.map((t) => within(t).queryByTestId("user-text")?.textContent ?? null);
    expect(userTexts).toEqual([
      null, // the welcome turn has no user input
      "Where is my order 58213? I bought it online",
      "refund",
      "Can I return opened headphones?",
      "I want to talk to a person",
    ]);

    const kinds = turns.map((t) =>
      Array.from(t.querySelectorAll("[data-output-type]")).map((el) => el.getAttribute("data-output-type")),
    );
    expect(kinds).toEqual([
      ["text", "option"],
      ["text", "pause", "text", "image", "user_defined"],
      ["suggestion"],
      ["conversational_search"],
      ["text", "connect_to_agent"],
    ]);

    // Each kind drawn for what it is.
    expect(within(turns[1]).getByText("… pause 1.5 s (typing)")).toBeTruthy();
    expect(within(turns[1]).getByText(/"template": "order_card"/)).toBeTruthy();
    expect(within(turns[3]).getByText(/Opened headphones can be returned within 30 days/)).toBeTruthy();
    const citations = turns[3].querySelector<HTMLElement>(".citations");
    expect(citations && within(citations).getByText("Returns and refunds")).toBeTruthy();
    expect(within(turns[4]).getByText(/transfer to a human agent/i)).toBeTruthy();
    expect(within(turns[4]).getByText("Customer asked about returning opened headphones (order 58213).")).toBeTruthy();
  });

  it("shows each turn's intent by its action's title with its confidence, or the action it ran", async () => {
    const { turns } = await renderConversation(conversationWebchat);
    const shown = turns.map((t) => within(t).queryByTestId("turn-intent")?.textContent ?? null);
    expect(shown[0]).toBe("action Greet customer");
    expect(shown[1]).toBe("Check order status #action_24031_intent_11874 0.94");
    // Without its action's title the id is shown; two intents under 0.5… are marked doubtful.
    expect(shown[2]).toMatch(/^#action_31077_intent_40122 0\.61 \+1$/);
  });

  it("draws options and suggestions as disabled buttons with their title", async () => {
    const { turns } = await renderConversation(conversationWebchat);
    expect(within(turns[0]).getByText("Popular topics")).toBeTruthy();
    const options = within(turns[0]).getAllByRole("button", { name: /Check order status|Refund policy|Talk to a person/ });
    expect(options).toHaveLength(3);
    for (const b of options) expect((b as HTMLButtonElement).disabled).toBe(true);
    const suggestions = within(turns[2]).getAllByRole("button", { name: /Refund policy|Request a refund|None of the above/ });
    expect(suggestions).toHaveLength(3);
    for (const b of suggestions) expect((b as HTMLButtonElement).disabled).toBe(true);
  });

  it("creates no <img> until Load image is clicked, then one without a referrer", async () => {
    const { container, turns } = await renderConversation(conversationWebchat);
    expect(container.querySelector("img")).toBeNull();
    const link = within(turns[1]).getByRole("link", { name: "https://cdn.example.com/img/tracking-58213.png" });
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    fireEvent.click(within(turns[1]).getByRole("button", { name: "Load image" }));
    const img = container.querySelector("img");
    expect(img?.getAttribute("src")).toBe("https://cdn.example.com/img/tracking-58213.png");
    expect(img?.getAttribute("referrerpolicy")).toBe("no-referrer");
  });

  it("never makes a javascript: or data: URL a link or an image", async () => {
    const c = clone(conversationWebchat);
    const image = c.turns[1].outputs[3] as Extract<OutputItem, { type: "image" }>;
    image.source = "javascript:alert(document.cookie)";
    const search = c.turns[3].outputs[0] as Extract<OutputItem, { type: "conversational_search" }>;
    search.citations[0].url = "  JavaScript:alert(1)";
    c.turns[4].outputs.push({ type: "video", source: "data:text/html,<script>alert(1)</script>", title: "v", description: null, alt_text: null, channel_options: null, channels: [] });
    const { container, turns } = await renderConversation(c);

    for (const a of Array.from(container.querySelectorAll("a"))) {
      expect(a.getAttribute("href") ?? "").not.toMatch(/^\s*(javascript|data):/i);
    }
    expect(within(turns[1]).getByText("javascript:alert(document.cookie)")).toBeTruthy();
    expect(within(turns[1]).queryByRole("button", { name: "Load image" })).toBeNull();
    expect(container.querySelector("img, video, audio, iframe, embed, object")).toBeNull();
    expect(within(turns[4]).getByText("data:text/html,<script>alert(1)</script>")).toBeTruthy();
  });

  it("shows markup in payload text as literal text, creating no elements", async () => {
    const attack = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    const c = clone(conversationWebchat);
    c.turns[1].input.text = attack;
    c.turns[1].outputs[0] = { type: "text", text: `reply ${attack}`, channels: [] };
    c.turns[1].intents[0].name = attack;
    c.turns[1].context[0].name = attack;
    const { container, turns } = await renderConversation(c);
    fireEvent.click(within(turns[1]).getByRole("button", { name: "details" }));

    expect(within(turns[1]).getByTestId("user-text").textContent).toBe(attack);
    expect(within(turns[1]).getByText(`reply ${attack}`)).toBeTruthy();
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("img")).toBeNull();
    expect(container.innerHTML).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("keeps line breaks of text items", async () => {
    const c = clone(conversationWebchat);
    c.turns[0].outputs[0] = { type: "text", text: "line one\nline two", channels: [] };
    const { turns } = await renderConversation(c);
    const text = turns[0].querySelector(".out-text");
    expect(text?.textContent).toBe("line one\nline two");
  });

  it("opens a turn's details: intents, entities, visited steps in order, context changes", async () => {
    const { turns } = await renderConversation(conversationWebchat);
    expect(within(turns[1]).queryByText("Intents")).toBeNull();
    fireEvent.click(within(turns[1]).getByRole("button", { name: "details" }));
    const t = turns[1];
    const details = t.querySelector<HTMLElement>(".turn-details")!;
    expect(within(details).getByText("#action_24031_intent_11874")).toBeTruthy();
    expect(within(details).getByText("0.94")).toBeTruthy();
    expect(within(details).getByText("Check order status")).toBeTruthy();
    expect(within(t).getByText("@sys-number:58213")).toBeTruthy();
    const visited = Array.from(t.querySelectorAll(".visited > li .mono")).map((e) => e.textContent);
    expect(visited).toEqual(["action_24031", "step_742", "callout", "step_913", "action_24031"]);
    // Two variables added (highlighted), one unchanged (folded).
    expect(t.querySelectorAll("tr.var-added")).toHaveLength(2);
    expect(within(t).getByText("1 unchanged")).toBeTruthy();
  });

  it("shows a changed context variable with its value before", async () => {
    const { turns } = await renderConversation(conversationPhone);
    fireEvent.click(within(turns[1]).getByRole("button", { name: "details" }));
    const row = turns[1].querySelector("tr.var-changed");
    expect(row?.textContent).toContain('"unknown"');
    expect(row?.textContent).toContain('"pay_bill"');
  });

  it("links a phone conversation to its call and each turn to its call turn", async () => {
    const { turns, navigate } = await renderConversation(conversationPhone);
    const callLink = screen.getByRole("link", { name: /^Call on .*27\.5 s, assistant hangup$/ });
    expect(callLink.getAttribute("href")).toBe("#/calls/b231ef28-c861-4f33-8a17-384d95d6ddb5");
    fireEvent.click(callLink);
    expect(navigate).toHaveBeenLastCalledWith({ view: "call", id: "b231ef28-c861-4f33-8a17-384d95d6ddb5" });

    fireEvent.click(within(turns[1]).getByRole("link", { name: /call turn 2/ }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "call", id: "b231ef28-c861-4f33-8a17-384d95d6ddb5", turn: 1 });

    // Speech input with its STT confidence; DTMF keys; a phone command as a chip.
    expect(within(turns[1]).getByText(/STT confidence 0\.87/)).toBeTruthy();
    expect(within(turns[2]).getByText("DTMF keys")).toBeTruthy();
    expect(within(turns[1]).getByText("dtmf: collect")).toBeTruthy();
    expect(within(turns[2]).getByText("end session")).toBeTruthy();
  });

  it("highlights the turn it was opened at", async () => {
    const { turns } = await renderConversation(conversationWebchat, 3);
    expect(turns.map((t) => t.getAttribute("aria-current"))).toEqual([null, null, "true", null, null]);
    expect(turns[2].className).toContain("turn-highlight");
  });

  it("flags a session mismatch", async () => {
    const c = clone(conversationWebchat);
    c.turns[2].session_mismatch = "other-session";
    const { turns } = await renderConversation(c);
    expect(within(turns[2]).getByText("session mismatch: other-session")).toBeTruthy();
  });

  it("says in a sentence when there is no such conversation, or the error", async () => {
    vi.mocked(api.conversation).mockRejectedValue(new ClientError({ kind: "not_found", message: "not found: conversation x", span: null }));
    const { unmount } = render(<ConversationView id="x" navigate={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("No conversation with session id x.");
    unmount();

    vi.mocked(api.conversation).mockRejectedValue(new TypeError("Failed to fetch"));
    render(<ConversationView id="y" navigate={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("Logbook is not running or not reachable");
  });
});
