import { describe, expect, it } from "vitest";
import {
  acceptCompletion,
  byteSpanToIndices,
  complete,
  customTerm,
  effectiveQuery,
  facetTerm,
  hasTerm,
  queryTerm,
  quoteValue,
  splitAtSpan,
  splitTerms,
  toggleTerm,
  valueCompletion,
  valueContext,
} from "./query";

const QUALIFIERS = [
  { key: "kind:", help: "message, call or rejected" },
  { key: "end_reason:", help: "why the call ended" },
  { key: "endpoint:", help: "endpoint that received the event" },
  { key: "entity:", help: "entity name" },
  { key: "intent:", help: "intent name" },
  { key: "custom.", help: "custom data" },
  { key: "duration>", help: "call duration" },
  { key: "latency.assistant>", help: "assistant latency" },
];

describe("facet terms", () => {
  it("writes each facet's qualifier", () => {
    expect(facetTerm("end_reason", "failed")).toBe("end_reason:failed");
    expect(facetTerm("intent", "pay_bill")).toBe("intent:pay_bill");
    expect(facetTerm("warning", "CWSMR0033W")).toBe("warning:CWSMR0033W");
    expect(facetTerm("type", "connect_to_agent")).toBe("type:connect_to_agent");
    expect(facetTerm("failed", "true")).toBe("failed:true");
    expect(facetTerm("custom", "account_id")).toBe("custom.account_id:*");
  });

  it("quotes values with spaces or quotes", () => {
    expect(facetTerm("channel", "Web chat")).toBe('channel:"Web chat"');
    expect(facetTerm("intent", 'say "hi"')).toBe('intent:"say \\"hi\\""');
    expect(quoteValue("back\\slash x")).toBe('"back\\\\slash x"');
    expect(quoteValue("tab\there")).toBe('"tab\there"');
    expect(quoteValue("")).toBe('""');
    expect(quoteValue("plain")).toBe("plain");
    expect(quoteValue("a:b")).toBe('"a:b"');
    expect(quoteValue("日本語")).toBe("日本語");
  });

  it("leaves out what cannot be searched", () => {
    expect(facetTerm("end_reason", "(none)")).toBeNull();
    expect(facetTerm("custom", "has space")).toBeNull();
    expect(facetTerm("custom", "a:b")).toBeNull();
  });

  it("writes custom-data terms", () => {
    expect(customTerm("tier")).toBe("custom.tier:*");
    expect(customTerm("tier", "gold")).toBe("custom.tier:gold");
    expect(customTerm("tier", "*")).toBe('custom.tier:"*"');
    expect(customTerm("tier", "gold plus")).toBe('custom.tier:"gold plus"');
    expect(customTerm("bad key")).toBeNull();
  });

  it("toggles a term in the query", () => {
    expect(toggleTerm("", "end_reason:failed")).toBe("end_reason:failed");
    expect(toggleTerm("refund ", "end_reason:failed")).toBe("refund end_reason:failed");
    expect(toggleTerm('refund channel:"Web chat" x', 'channel:"Web chat"')).toBe("refund x");
    expect(hasTerm('a channel:"Web chat"', 'channel:"Web chat"')).toBe(true);
    expect(hasTerm("a channel:Web", 'channel:"Web chat"')).toBe(false);
  });

  it("splits terms like the parser", () => {
    expect(splitTerms('  a "b c"  user:"x \\" y" -d ')).toEqual(["a", '"b c"', 'user:"x \\" y"', "-d"]);
    expect(splitTerms("")).toEqual([]);
  });

  it("adds the time range to the query sent, at the end", () => {
    expect(effectiveQuery("kind:call", "24h")).toBe("kind:call after:24h");
    expect(effectiveQuery("", "7d")).toBe("after:7d");
    expect(effectiveQuery(" x ", undefined)).toBe("x");
    expect(effectiveQuery(undefined, undefined)).toBe("");
  });
});

describe("completion", () => {
  it("suggests qualifiers for the word before the caret", () => {
    const c = complete("end", 3, QUALIFIERS)!;
    expect(c.items.map((i) => i.key)).toEqual(["end_reason:", "endpoint:"]);
    expect(acceptCompletion("end", c, "end_reason:")).toEqual({ text: "end_reason:", caret: 11 });
  });

  it("completes in the middle of a query and keeps a negation", () => {
    const text = "refund -int more";
    const c = complete(text, 11, QUALIFIERS)!;
    expect(c.items.map((i) => i.key)).toEqual(["intent:"]);
    expect(acceptCompletion(text, c, "intent:")).toEqual({ text: "refund -intent: more", caret: 15 });
  });

  it("is case-insensitive and offers comparisons", () => {
    expect(complete("DUR", 3, QUALIFIERS)!.items.map((i) => i.key)).toEqual(["duration>"]);
    expect(complete("lat", 3, QUALIFIERS)!.items.map((i) => i.key)).toEqual(["latency.assistant>"]);
  });

  it("stays quiet where a qualifier cannot start", () => {
    expect(complete("", 0, QUALIFIERS)).toBeNull();
    expect(complete("kind:", 5, QUALIFIERS)).toBeNull();
    expect(complete("kind:ca", 7, QUALIFIERS)).toBeNull();
    expect(complete('user:"some end', 14, QUALIFIERS)).toBeNull();
    expect(complete("end ", 4, QUALIFIERS)).toBeNull();
    expect(complete("zzz", 3, QUALIFIERS)).toBeNull();
    expect(complete("duration>6", 10, QUALIFIERS)).toBeNull();
  });

  it("after a closed quote completes again", () => {
    expect(complete('"a b" ki', 8, QUALIFIERS)!.items.map((i) => i.key)).toEqual(["kind:"]);
  });

  it("offers custom-data keys after custom.", () => {
    const c = complete("custom.ac", 9, QUALIFIERS, ["account_id", "tier", "acme plan"])!;
    expect(c.items.map((i) => i.key)).toEqual(["custom.account_id:"]);
    expect(complete("cus", 3, QUALIFIERS)!.items.map((i) => i.key)).toEqual(["custom."]);
  });
});

describe("error spans", () => {
  it("maps byte offsets onto the text for ASCII", () => {
    expect(byteSpanToIndices("kind:x bogus:1", [7, 12])).toEqual([7, 12]);
    expect(splitAtSpan("kind:x bogus:1", [7, 12])).toEqual(["kind:x ", "bogus", ":1"]);
  });

  it("maps byte offsets onto the text with non-ASCII before the span", () => {
    // "é" is 2 bytes, "日本" 6 bytes, "😀" 4 bytes and 2 UTF-16 units.
    const text = "café 日本 😀 bogus:1";
    const byteStart = new TextEncoder().encode("café 日本 😀 ").length;
    const span: [number, number] = [byteStart, byteStart + 5];
    expect(splitAtSpan(text, span)).toEqual(["café 日本 😀 ", "bogus", ":1"]);
  });

  it("highlights a non-ASCII span whole", () => {
    const text = 'user:"x intent:pâté';
    const enc = new TextEncoder();
    const start = enc.encode('user:"x intent:').length;
    const end = enc.encode(text).length;
    expect(splitAtSpan(text, [start, end])).toEqual(['user:"x intent:', "pâté", ""]);
    // The whole unterminated quote.
    expect(splitAtSpan("a 😀 \"oops", [enc.encode("a 😀 ").length, enc.encode('a 😀 "oops').length])).toEqual([
      "a 😀 ",
      '"oops',
      "",
    ]);
  });

  it("snaps offsets inside a character outward and clamps", () => {
    // Byte 1 is inside "é" (bytes 0-1): the span grows to the whole character.
    expect(byteSpanToIndices("éa", [1, 2])).toEqual([0, 1]);
    expect(byteSpanToIndices("abc", [2, 99])).toEqual([2, 3]);
    expect(byteSpanToIndices("abc", [50, 60])).toEqual([3, 3]);
    expect(splitAtSpan("abc", null)).toEqual(["abc", "", ""]);
  });
});

/**
 * How src/query/parse.rs reads one `KEY:VALUE` term (its `term`, `word_end`, `qualifier` and
 * `quoted`), ported to check that what the builder writes reads back as the value it was given.
 * Null when the text is not exactly one qualifier term.
 */
function readQualifier(input: string): { key: string; value: string; quoted: boolean } | null {
  const ws = /[\s\u0085]/;
  let pos = 0;
  if (input[pos] === "-") return null; // the builder never negates
  if (input[pos] === '"') return null; // a phrase, not a qualifier
  let wordEnd = pos;
  while (wordEnd < input.length && !ws.test(input[wordEnd])) wordEnd++;
  const colon = input.slice(pos, wordEnd).indexOf(":");
  if (colon <= 0) return null;
  const key = input.slice(pos, colon);
  pos = colon + 1;
  let value = "";
  let quoted = false;
  let end = wordEnd;
  if (input[pos] === '"') {
    quoted = true;
    let i = pos + 1;
    for (;;) {
      if (i >= input.length) return null; // unterminated quote
      const c = input[i];
      if (c === '"') break;
      if (c === "\\" && (input[i + 1] === '"' || input[i + 1] === "\\")) {
        value += input[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    end = i + 1;
  } else {
    value = input.slice(pos, wordEnd);
  }
  if (value === "") return null; // "empty value for KEY:"
  return end === input.length ? { key, value, quoted } : null;
}

describe("query terms read back as written", () => {
  const values = [
    "pay_bill",
    "pay my bill",
    "tab\there",
    "new\nline",
    "nel\u0085x",
    'say "hi"',
    '"leading quote',
    'trailing quote"',
    "it's",
    "back\\slash",
    "ends in \\",
    "\\",
    '\\"',
    'a\\"b c',
    "10:30",
    "a:b",
    ":",
    "-5",
    "-leading dash",
    "--",
    "*",
    "**",
    "a*",
    "日本語 テキスト",
    "x=y",
  ];

  it("round-trips every value through the parser's reading", () => {
    for (const value of values) {
      const term = queryTerm("channel", value);
      expect(term, value).not.toBeNull();
      expect(readQualifier(term!), term!).toEqual({ key: "channel", value, quoted: expect.any(Boolean) });
      expect(splitTerms(`a ${term} b`), term!).toEqual(["a", term, "b"]);
      const custom = customTerm("note", value);
      const read = readQualifier(custom!);
      expect(read?.key, custom!).toBe("custom.note");
      expect(read?.value, custom!).toBe(value);
      // A bare `*` would mean "the key is present".
      expect(read?.value === "*" && !read.quoted, custom!).toBe(false);
    }
  });

  it("quotes values with spaces, quotes, colons or a lone *; escapes \\ and \" inside quotes", () => {
    expect(queryTerm("channel", "Web chat")).toBe('channel:"Web chat"');
    expect(queryTerm("intent", 'say "hi"')).toBe('intent:"say \\"hi\\""');
    expect(queryTerm("intent", '"hi')).toBe('intent:"\\"hi"');
    expect(queryTerm("user", "back\\slash x")).toBe('user:"back\\\\slash x"');
    expect(queryTerm("user", 'a\\"b c')).toBe('user:"a\\\\\\"b c"');
    expect(queryTerm("custom.time", "10:30")).toBe('custom.time:"10:30"');
    expect(queryTerm("intent", "*")).toBe('intent:"*"');
  });

  it("leaves bare what the parser reads bare: backslashes, a leading -, apostrophes", () => {
    expect(queryTerm("user", "back\\slash")).toBe("user:back\\slash");
    expect(queryTerm("user", "\\")).toBe("user:\\");
    expect(queryTerm("custom.delta", "-5")).toBe("custom.delta:-5");
    expect(queryTerm("intent", "-x")).toBe("intent:-x");
    expect(queryTerm("note", "it's")).toBe("note:it's");
  });

  it("gives null for what the parser cannot read", () => {
    expect(queryTerm("channel", "")).toBeNull();
    expect(customTerm("note", "")).toBeNull();
    expect(facetTerm("channel", "")).toBeNull();
    expect(customTerm("")).toBeNull();
    expect(customTerm("nel\u0085key")).toBeNull();
  });
});

describe("custom-data terms (the Custom data view's links)", () => {
  it("writes custom.KEY:VALUE, quoting values with spaces or quotes", () => {
    expect(customTerm("call_reason")).toBe("custom.call_reason:*");
    expect(customTerm("call_reason", "pay_bill")).toBe("custom.call_reason:pay_bill");
    expect(customTerm("note", "pay my bill")).toBe('custom.note:"pay my bill"');
    expect(customTerm("note", 'say "hi" \\ now')).toBe('custom.note:"say \\"hi\\" \\\\ now"');
    // The copies disagreed: the parser reads an apostrophe literally, so it stays bare.
    expect(customTerm("note", "it's")).toBe("custom.note:it's");
    expect(customTerm("note", "*")).toBe('custom.note:"*"');
    expect(customTerm("bad key", "x")).toBeNull();
  });
});

describe("qualifier value completion", () => {
  it("finds the qualifier and the typed start of its value before the caret", () => {
    expect(valueContext("kind:call intent:pa", 19)).toEqual({ key: "intent", prefix: "pa", start: 10, end: 19, typed: "intent:pa" });
    expect(valueContext("-channel:", 9)).toEqual({ key: "channel", prefix: "", start: 1, end: 9, typed: "channel:" });
    expect(valueContext('channel:"web c', 14)).toEqual({
      key: "channel",
      prefix: "web c",
      start: 0,
      end: 14,
      typed: 'channel:"web c',
    });
    expect(valueContext("INTENT:x", 8)?.key).toBe("intent");
  });

  it("offers nothing for qualifiers without a list of values, or outside a value", () => {
    expect(valueContext("session:ab", 10)).toBeNull();
    expect(valueContext("after:2", 7)).toBeNull();
    expect(valueContext("refund", 6)).toBeNull();
    expect(valueContext('channel:"Web chat" ', 19)).toBeNull();
  });

  it("writes the whole term, quoted as the parser reads it, with the label and count as help", () => {
    const ctx = valueContext("refund channel:we", 17)!;
    const c = valueCompletion(ctx, [{ value: "Web chat", label: null, count: 1234 }])!;
    expect(c.items).toEqual([{ key: 'channel:"Web chat" ', help: "1,234×" }]);
    expect(acceptCompletion("refund channel:we", c, c.items[0].key)).toEqual({
      text: 'refund channel:"Web chat" ',
      caret: 26,
    });
    const intent = valueCompletion(valueContext("intent:che", 10)!, [
      { value: "action_24031_intent_11874", label: "Check order status", count: 3 },
    ])!;
    expect(intent.items[0]).toEqual({ key: "intent:action_24031_intent_11874 ", help: "Check order status · 3×" });
    expect(valueCompletion(ctx, [])).toBeNull();
    // A value typed out in full offers nothing, so Enter searches.
    expect(valueCompletion(valueContext("failed:true", 11)!, [{ value: "true", label: null, count: 0 }])).toBeNull();
  });
});
