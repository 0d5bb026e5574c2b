// WCAG AA contrast of every piece of text on screen, measured in the page: 4.5:1 for normal text,
// 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are exempt, as WCAG says.

/** Runs in the page: the texts whose contrast with what is behind them is below AA. */
export function contrastProblems() {
  const parse = (css) => {
    let m = css.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    m = css.match(/^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)$/);
    if (m) return [Number(m[1]) * 255, Number(m[2]) * 255, Number(m[3]) * 255, m[4] === undefined ? 1 : Number(m[4])];
    return null;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  /** The colour behind `el`: its backgrounds and its ancestors', blended down to the page's. */
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    let color = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) {
      const root = parse(getComputedStyle(document.documentElement).backgroundColor);
      if (root && root[3] > 0) color = over(root, color);
    }
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const problems = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    if (!el.getClientRects().length || el.closest("[disabled], [aria-disabled='true'], option, select:disabled")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    const got = ratio(over(fg, bg), bg);
    if (got < need) problems.push(`"${text.slice(0, 40)}" ${got.toFixed(2)}:1 (needs ${need}) ${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(",")})`);
  }
  return problems;
}
