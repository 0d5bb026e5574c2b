import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, ClientError } from "../../api";
import type { EventDetail } from "../../api/types/EventDetail";
import { EventDetailView } from "./EventDetailView";
import { eventAccepted, eventRejected } from "./fixtures/event";

vi.mock("../../api", () => import("./mockApi"));

/**
 * Splits shell text into commands of words the way bash does for what `sendCommand` writes:
 * single quotes (nothing special inside), backslash escapes outside them, blanks between words,
 * unquoted newlines between commands. Anything else bash would treat specially (`$`, backticks,
 * `;`, `|`, `&`, `(`) outside quotes fails the test: the command must not rely on it.
 */
function bashCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (ch === "\\") {
      word = (word ?? "") + text[++i];
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (word !== null) words.push(word);
      word = null;
      if (ch === "\n") {
        commands.push(words);
        words = [];
      }
    } else if ("$`;|&()<\"".includes(ch)) {
      throw new Error(`unquoted ${ch} at ${i}`);
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (word !== null) words.push(word);
  commands.push(words);
  return commands;
}

async function renderEvent(e: EventDetail) {
  vi.mocked(api.event).mockResolvedValue(e);
  const navigate = vi.fn();
  const view = render(<EventDetailView id={e.source === "rejected" ? `r${e.id}` : String(e.id)} navigate={navigate} />);
  await screen.findByRole("heading", { level: 2 });
  return { ...view, navigate };
}

beforeEach(() => {
  vi.mocked(api.event).mockReset();
});

describe("EventDetailView", () => {
  it("builds a logbook send command whose quoting survives a single quote (and worse) in the body", async () => {
    const body = `{"text":"it's a 'quoted' $HOME \`id\` \\n %s \\\\ end"}\n<script>alert(1)</script>`;
    const { container } = await renderEvent({ ...eventAccepted, body_text: body, body: null });
    const command = screen.getByTestId("send-command").textContent ?? "";
    const [write, send, ...rest] = bashCommands(command);
    expect(rest).toEqual([]);
    expect(write).toEqual(["printf", "%s", body, ">", "body.json"]);
    expect(send).toEqual([
      "logbook",
      "send",
      "--url",
      "http://127.0.0.1:7420/draft",
      "--secret-file",
      "~/.config/assistant-logbook/webhook-secret",
      "body.json",
    ]);
    expect(command).toContain(`"it'\\''s a '\\''quoted'\\'' $HOME`);
    expect(container.querySelector("script")).toBeNull();
  });

  it("sends an imported event to / rather than its file path", async () => {
    const imported: EventDetail = { ...eventAccepted, endpoint: "import", auth: "import", verified: false, path: "/work/x/02.json", headers: [] };
    await renderEvent(imported);
    const [, send] = bashCommands(screen.getByTestId("send-command").textContent ?? "");
    expect(send[3]).toBe("http://127.0.0.1:7420/");
    expect(screen.getByText(/imported from a file/)).toBeTruthy();
  });

  it("shows how an accepted request arrived, its headers, JWT with dates, and links to its conversation", async () => {
    const { navigate } = await renderEvent(eventAccepted);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toMatch(/Event #1.*200.*message_logged/);
    expect(screen.getByText("/draft")).toBeTruthy();
    expect(screen.getByText("127.0.0.1:55464")).toBeTruthy();
    expect(screen.getAllByText("verified (jwt)").length).toBeGreaterThan(0);
    expect(screen.getByText("[redacted, 128 characters]")).toBeTruthy();
    // exp and iat are Unix seconds: also shown as dates.
    expect(screen.getByText("1795457641").parentElement?.textContent).toMatch(/= \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(screen.getByText('"HS256"')).toBeTruthy();
    fireEvent.click(screen.getByRole("link", { name: /Open conversation/ }));
    expect(navigate).toHaveBeenCalledWith({ view: "conversation", id: "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05" });
  });

  it("lists each forwarding delivery with its attempts, answers as text", async () => {
    const deliveries: EventDetail["deliveries"] = [
      {
        id: 7,
        target: "https://logs.example.com/in",
        state: "delivered",
        attempts: 2,
        next_at: null,
        gave_up_reason: null,
        recent: [
          { at: 1795457341447, status: 503, error: null, response: "<b>busy</b>", latency_ms: 12.4 },
          { at: 1795457342447, status: 200, error: null, response: "ok", latency_ms: 8 },
        ],
      },
      {
        id: 8,
        target: "/draft@http://127.0.0.1:9000/",
        state: "pending",
        attempts: 1,
        next_at: 1795457350000,
        gave_up_reason: null,
        recent: [{ at: 1795457341447, status: null, error: "Connection refused", response: "", latency_ms: 1 }],
      },
    ];
    const { container } = await renderEvent({ ...eventAccepted, deliveries });
    const panel = container.querySelector(".deliveries")!;
    expect(panel.textContent).toContain("https://logs.example.com/in");
    expect(panel.textContent).toContain("delivery 7, 2 attempts");
    expect(panel.textContent).toContain("Connection refused");
    expect(panel.textContent).toMatch(/next attempt/);
    // A downstream's answer is text, never markup.
    expect(screen.getByText("<b>busy</b>")).toBeTruthy();
    expect(panel.querySelector("b")).toBeNull();
  });

  it("has no forwarding panel for an event that was not forwarded", async () => {
    const { container } = await renderEvent(eventAccepted);
    expect(container.querySelector(".deliveries")).toBeNull();
  });

  it("offers a replay of an accepted event, but not on a team's store, which keeps none", async () => {
    const here = await renderEvent(eventAccepted);
    expect(here.container.querySelector("section.replay")).not.toBeNull();
    expect(screen.queryByTestId("no-replay")).toBeNull();
    cleanup();
    const team = await renderEvent({ ...eventAccepted, replayable: false });
    expect(team.container.querySelector("section.replay")).toBeNull();
    expect(screen.getByTestId("no-replay").textContent).toContain("team store");
  });

  it("toggles the body between a tree and the raw text", async () => {
    const { container } = await renderEvent(eventAccepted);
    expect(container.querySelector(".json-tree")).toBeTruthy();
    expect(container.querySelector(".raw-body")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Raw" }));
    expect(container.querySelector(".json-tree")).toBeNull();
    expect(container.querySelector(".raw-body")?.textContent).toBe(eventAccepted.body_text);
  });

  it("copies the body as JSON", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await renderEvent(eventAccepted);
    fireEvent.click(screen.getByRole("button", { name: "Copy as JSON" }));
    expect(writeText).toHaveBeenCalledWith(eventAccepted.body_text);
    expect(await screen.findByRole("button", { name: "Copied" })).toBeTruthy();
  });

  it("shows a rejected request's reason and its body as text, markup and all", async () => {
    const { container } = await renderEvent(eventRejected);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toMatch(/Rejected request r1.*401/);
    expect(screen.getByText("JWT signature does not match the secret")).toBeTruthy();
    expect(screen.getByText("Bearer [redacted, 78 characters]")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Raw" }));
    expect(container.querySelector(".raw-body")?.textContent).toBe(`{"event":{"name":"message_logged"},"x":"it's <script>alert(1)</script>"}`);
    expect(container.querySelector("script")).toBeNull();
  });

  it("says in a sentence when there is no such event", async () => {
    vi.mocked(api.event).mockRejectedValue(new ClientError({ kind: "not_found", message: "not found: event 99", span: null }));
    render(<EventDetailView id="99" navigate={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("No event 99.");
  });
});
