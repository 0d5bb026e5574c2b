//! A minimal streaming JSON writer: bodies are written straight into a `String`.

use super::Ms;
use super::text::{push_dec, push_ts, push_u64};

/// Appends compact JSON to a `String`, inserting commas itself. Keys are trusted literals; string
/// values are escaped.
pub(super) struct JsonOut {
    pub(super) s: String,
    /// True right after `{`, `[` or a key: the next item needs no comma.
    pub(super) first: bool,
    /// The latest time written with [`JsonOut::ts`], if any.
    pub(super) latest: Option<Ms>,
}

impl JsonOut {
    pub(super) fn with_capacity(n: usize) -> Self {
        JsonOut {
            s: String::with_capacity(n),
            first: true,
            latest: None,
        }
    }

    pub(super) fn sep(&mut self) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
    }

    pub(super) fn obj(&mut self) {
        self.sep();
        self.s.push('{');
        self.first = true;
    }

    pub(super) fn end_obj(&mut self) {
        self.s.push('}');
        self.first = false;
    }

    pub(super) fn arr(&mut self) {
        self.sep();
        self.s.push('[');
        self.first = true;
    }

    pub(super) fn end_arr(&mut self) {
        self.s.push(']');
        self.first = false;
    }

    pub(super) fn key(&mut self, k: &str) {
        self.sep();
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
        self.first = true;
    }

    pub(super) fn str(&mut self, v: &str) {
        self.sep();
        push_escaped(&mut self.s, v);
    }

    pub(super) fn u(&mut self, v: u64) {
        self.sep();
        push_u64(&mut self.s, v);
    }

    pub(super) fn dec(&mut self, v: f64, places: u32) {
        self.sep();
        push_dec(&mut self.s, v, places);
    }

    pub(super) fn b(&mut self, v: bool) {
        self.sep();
        self.s.push_str(if v { "true" } else { "false" });
    }

    pub(super) fn ts(&mut self, ms: Ms) {
        self.latest = self.latest.max(Some(ms));
        self.sep();
        self.s.push('"');
        push_ts(&mut self.s, ms);
        self.s.push('"');
    }

    /// A complete, already rendered JSON value.
    pub(super) fn raw(&mut self, v: &str) {
        self.sep();
        self.s.push_str(v);
    }

    /// Already rendered object members (`"a":1,"b":2`), spliced into the open object.
    pub(super) fn members(&mut self, m: &str) {
        if !m.is_empty() {
            self.sep();
            self.s.push_str(m);
        }
    }

    pub(super) fn ks(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    pub(super) fn ku(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u(v);
    }

    pub(super) fn kd(&mut self, k: &str, v: f64, places: u32) {
        self.key(k);
        self.dec(v, places);
    }

    pub(super) fn kb(&mut self, k: &str, v: bool) {
        self.key(k);
        self.b(v);
    }

    pub(super) fn kts(&mut self, k: &str, ms: Ms) {
        self.key(k);
        self.ts(ms);
    }

    pub(super) fn kraw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.raw(v);
    }

    pub(super) fn kobj(&mut self, k: &str) {
        self.key(k);
        self.obj();
    }

    pub(super) fn karr(&mut self, k: &str) {
        self.key(k);
        self.arr();
    }

    /// `"k":{}`.
    pub(super) fn kempty(&mut self, k: &str) {
        self.key(k);
        self.raw("{}");
    }

    /// `{"response_type":"text","text":…}`.
    pub(super) fn text_item(&mut self, text: &str) {
        self.obj();
        self.ks("response_type", "text");
        self.ks("text", text);
        self.end_obj();
    }
}

pub(super) fn push_escaped(out: &mut String, v: &str) {
    out.push('"');
    let mut start = 0;
    for (i, &b) in v.as_bytes().iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => {
                out.push_str(&v[start..i]);
                out.push_str("\\u00");
                out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
                out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.push_str(&v[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&v[start..]);
    out.push('"');
}
