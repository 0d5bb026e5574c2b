import { describe, expect, it } from "vitest";
import { changePath, changeValue, checkJson, lineColumn, replayRequest } from "./replay";

describe("checkJson", () => {
  it("accepts JSON and says where other text stops being JSON", () => {
    expect(checkJson('{"a": [1, 2]}')).toEqual({ ok: true, value: { a: [1, 2] } });
    const bad = checkJson('{\n  "a": 1,\n  "b": }');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.line).toBe(3);
      expect(bad.column).toBe(8);
      expect(bad.message).toBe("value expected");
    }
    // What JSON.parse refuses is refused, though jsonc-parser would allow it by default.
    expect(checkJson('{"a": 1,}').ok).toBe(false);
    expect(checkJson('{"a": 1 /* c */}').ok).toBe(false);
    const trailing = checkJson('[1,\n2,\n]');
    expect(trailing).toMatchObject({ ok: false, line: 3, column: 1 });
    const empty = checkJson("");
    expect(empty.ok).toBe(false);
  });

  it("counts lines and columns from 1", () => {
    expect(lineColumn("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab", 99)).toEqual({ line: 1, column: 3 });
  });
});

describe("replayRequest", () => {
  const form = { to: "http://127.0.0.1:9000/hook", signing: "none" as const, secretFile: "", body: '{"a":1}' };

  it("sends the body only when it was edited", () => {
    expect(replayRequest(7, form, '{"a":1}')).toEqual({ request: { event: 7, to: "http://127.0.0.1:9000/hook", signing: "none" } });
    expect(replayRequest(7, { ...form, body: '{"a":2}' }, '{"a":1}')).toEqual({
      request: { event: 7, to: "http://127.0.0.1:9000/hook", signing: "none", body: '{"a":2}' },
    });
  });

  it("names the secret file only when signing with one", () => {
    expect(replayRequest(7, { ...form, signing: "file", secretFile: " /tmp/s " }, form.body)).toEqual({
      request: { event: 7, to: "http://127.0.0.1:9000/hook", signing: "file", secretFile: "/tmp/s" },
    });
    expect(replayRequest(7, { ...form, signing: "file" }, form.body)).toHaveProperty("problem");
    expect(replayRequest(7, { ...form, signing: "endpoint", secretFile: "/x" }, form.body)).toEqual({
      request: { event: 7, to: "http://127.0.0.1:9000/hook", signing: "endpoint" },
    });
  });

  it("refuses a target that is not an http(s) URL and a body that is not JSON", () => {
    for (const to of ["", "example.com", "javascript:alert(1)", "file:///etc/passwd"]) {
      expect(replayRequest(7, { ...form, to }, form.body)).toHaveProperty("problem");
    }
    const bad = replayRequest(7, { ...form, body: '{"a":' }, form.body);
    expect(bad).toHaveProperty("problem");
    if ("problem" in bad) expect(bad.problem).toMatch(/line 1, column \d+/);
  });
});

describe("changes", () => {
  it("reads values as JSON text and the whole body by name", () => {
    expect(changeValue("failed")).toBe('"failed"');
    expect(changeValue(null)).toBe("null");
    expect(changeValue(undefined)).toBe("");
    expect(changeValue({ a: [1] })).toBe('{"a":[1]}');
    expect(changePath({ path: "", pointer: "", kind: "changed", old: 1, new: 2 })).toBe("(whole body)");
    expect(changePath({ path: "a.b", pointer: "/a/b", kind: "added", old: null, new: 2 })).toBe("a.b");
  });
});
