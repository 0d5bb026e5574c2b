// A stand-in for `../../api` in the detail views' tests: every Transport method is a `vi.fn()`,
// and `ClientError` is the real class. Use as `vi.mock("../../api", () => import("./mockApi"))`.
import { vi } from "vitest";
import type { Transport } from "../../api/client";

export { ClientError } from "../../api/client";

export const api = {
  status: vi.fn(),
  qualifiers: vi.fn(),
  events: vi.fn(),
  event: vi.fn(),
  messages: vi.fn(),
  conversations: vi.fn(),
  conversation: vi.fn(),
  calls: vi.fn(),
  call: vi.fn(),
  customKeys: vi.fn(),
  customValues: vi.fn(),
  qualifierValues: vi.fn(),
  count: vi.fn(),
  customCalls: vi.fn(),
  trends: vi.fn(),
  pulls: vi.fn(),
  forwarding: vi.fn(),
  compare: vi.fn(),
  replay: vi.fn(),
  exportRows: vi.fn(),
  live: vi.fn(),
} satisfies { [K in keyof Transport]: ReturnType<typeof vi.fn> };
