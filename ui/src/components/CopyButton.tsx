// A button that copies a text to the clipboard and says so.
import { useEffect, useState } from "react";

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on another host, old webview): the textarea fallback.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function CopyButton(props: { text: string; label?: string; testId?: string }) {
  const [done, setDone] = useState<"copied" | "failed" | null>(null);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(null), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button
      type="button"
      className="btn"
      data-testid={props.testId}
      onClick={() => void copyText(props.text).then((ok) => setDone(ok ? "copied" : "failed"))}
    >
      {done === "copied" ? "Copied" : done === "failed" ? "Select and copy" : (props.label ?? "Copy")}
    </button>
  );
}

/** A line of code with a copy button beside it. */
export function CopyLine(props: { text: string; testId?: string }) {
  return (
    <div className="copy-line">
      <code>{props.text}</code>
      <CopyButton text={props.text} testId={props.testId} />
    </div>
  );
}
