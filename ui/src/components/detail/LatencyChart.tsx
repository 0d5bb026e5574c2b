// The call's turns as a chart: one row per turn, bars for the assistant's, speech-to-text's and
// text-to-speech's milliseconds, so the slow turn and the slow component stand out at a glance.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import type { CallTurn } from "../../api/types/CallTurn";
import { formatMs } from "../../format";

interface Row {
  label: string;
  assistant: number | null;
  stt: number | null;
  tts: number | null;
  turn: CallTurn;
}

/** The slowest text-to-speech response of a turn (a turn may speak several times). */
export function turnTtsMs(turn: CallTurn): number | null {
  const values = turn.responses.map((r) => r.tts_ms).filter((v): v is number => v !== null);
  return values.length ? Math.max(...values) : null;
}

const ROW_HEIGHT_PX = 44;
const CHART_CHROME_PX = 70;

export function LatencyChart({ turns }: { turns: CallTurn[] }) {
  const rows: Row[] = turns.map((t) => ({
    label: `${t.seq + 1} ${t.request_type ?? "?"}`,
    assistant: t.assistant_ms,
    stt: t.stt?.response_ms ?? null,
    tts: turnTtsMs(t),
    turn: t,
  }));
  const heightPx = CHART_CHROME_PX + ROW_HEIGHT_PX * Math.max(rows.length, 1);
  return (
    <div className="latency-chart" data-testid="latency-chart" aria-label="Latency per turn, in milliseconds" role="img">
      <BarChart
        layout="vertical"
        data={rows}
        responsive
        style={{ width: "100%", height: heightPx }}
        margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
        barCategoryGap={6}
      >
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" unit=" ms" tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="label" width={140} tick={{ fontSize: 11 }} />
        <Tooltip content={(p: TooltipContentProps) => <TurnTooltip {...p} />} />
        <Legend />
        <Bar dataKey="assistant" name="assistant ms" fill="var(--accent, #4a7bd0)" isAnimationActive={false} />
        <Bar dataKey="stt" name="STT ms" fill="var(--warn, #c98a1b)" isAnimationActive={false} />
        <Bar dataKey="tts" name="TTS ms" fill="var(--ok, #3c9a5f)" isAnimationActive={false} />
      </BarChart>
    </div>
  );
}

export function TurnTooltip({ active, payload }: TooltipContentProps) {
  if (!active || !payload || payload.length === 0) return null;
  const row = (payload[0] as { payload?: Row }).payload;
  if (!row) return null;
  const t = row.turn;
  return (
    <div className="chart-tooltip panel small">
      <div>
        <strong>turn {t.seq + 1}</strong>: {t.request_type ?? "?"}
        {t.request_meaning ? ` (${t.request_meaning})` : ""}
      </div>
      <div>
        responses:{" "}
        {t.responses.length ? t.responses.map((r) => `${r.cdr_type} → ${r.wa_type ?? "?"}`).join(", ") : "none"}
      </div>
      <div>
        assistant {formatMs(row.assistant)} · STT {formatMs(row.stt)} · TTS {formatMs(row.tts)}
      </div>
    </div>
  );
}
