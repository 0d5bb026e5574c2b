import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { TooltipContentProps } from "recharts";
import { callFailedTransfer } from "../../views/detail/fixtures/call";
import { LatencyChart, TurnTooltip, turnTtsMs } from "./LatencyChart";

describe("LatencyChart", () => {
  it("renders its container for the turns", () => {
    render(<LatencyChart turns={callFailedTransfer.turns} />);
    expect(screen.getByTestId("latency-chart").getAttribute("aria-label")).toBe("Latency per turn, in milliseconds");
  });

  it("takes a turn's slowest text-to-speech response", () => {
    expect(callFailedTransfer.turns.map(turnTtsMs)).toEqual([412, 355, 389]);
  });

  it("explains a row in its tooltip: request type, its meaning, response types, latencies", () => {
    const turn = callFailedTransfer.turns[1];
    const row = { label: "2 speech_to_text", assistant: 176, stt: 1288, tts: 355, turn };
    const props = { active: true, payload: [{ payload: row }] } as unknown as TooltipContentProps;
    const { container } = render(<TurnTooltip {...props} />);
    expect(container.textContent).toContain("turn 2: speech_to_text (speech was recognized)");
    expect(container.textContent).toContain("responses: text_to_speech → text, transfer → connect_to_agent");
    expect(container.textContent).toContain("assistant 176 ms · STT 1.3 s · TTS 355 ms");
  });
});
