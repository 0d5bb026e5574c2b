//! Template slots: the `{name}` values a turn's texts are filled with, and the entities they make.

use super::Ms;
use super::json::JsonOut;
use super::random::Dice;
use super::text::{
    push_date_iso, push_date_words, push_dec, push_digit_words, push_money, push_u64, push_words,
    put_digits,
};
use super::vocabulary::{
    CARRIERS, CITIES, COLORS, COMPANY, NAMES, PRODUCTS, STREETS, TIERS, TIMES, WEEKDAYS,
};

/// The values `{name}` placeholders in templates expand to, chosen once per turn.
#[derive(Clone, Copy)]
pub(super) struct Slots {
    pub(super) order: u32,
    pub(super) product: &'static str,
    pub(super) city: &'static str,
    pub(super) name: &'static str,
    pub(super) carrier: &'static str,
    pub(super) color: &'static str,
    pub(super) shipped: Ms,
    pub(super) eta: Ms,
    pub(super) days: u32,
    pub(super) amount: u32,
    pub(super) points: u32,
    pub(super) zip: u32,
    pub(super) time: &'static str,
    pub(super) time2: &'static str,
    pub(super) weekday: &'static str,
    pub(super) store: u32,
    pub(super) sku: u32,
    pub(super) conf: u32,
    pub(super) customer: u32,
    pub(super) tier: &'static str,
    pub(super) stock: u32,
    pub(super) house: u32,
    pub(super) street: &'static str,
    pub(super) card4: u32,
}

/// Where a slot landed in a user utterance, for `output.entities`.
pub(super) struct Span {
    pub(super) entity: &'static str,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) numeric: Option<u64>,
}

impl Slots {
    pub(super) fn random(rng: &mut Dice, t: Ms) -> Slots {
        let t1 = rng.range(0, 7);
        let shipped = t - rng.range(1, 4) * 86_400_000;
        Slots {
            order: rng.range(10_000, 99_999) as u32,
            product: rng.pick(PRODUCTS),
            city: rng.pick(CITIES),
            name: rng.pick(NAMES),
            carrier: rng.pick(CARRIERS),
            color: rng.pick(COLORS),
            shipped,
            eta: t + rng.range(1, 6) * 86_400_000,
            days: rng.pick(&[14, 30, 30, 30, 60, 90]),
            amount: (rng.range(300, 40_000) as u32 / 5) * 5,
            points: rng.range(120, 24_000) as u32,
            zip: rng.range(1_000, 99_950) as u32,
            time: TIMES[t1 as usize],
            time2: TIMES[(t1 + 2) as usize],
            weekday: rng.pick(WEEKDAYS),
            store: rng.range(100, 999) as u32,
            sku: rng.range(100_000, 999_999) as u32,
            conf: rng.range(1_000_000, 9_999_999) as u32,
            customer: rng.range(100_000, 999_999) as u32,
            tier: rng.pick(TIERS),
            stock: rng.range(1, 40) as u32,
            house: rng.range(1, 2999) as u32,
            street: rng.pick(STREETS),
            card4: rng.range(1000, 9999) as u32,
        }
    }

    /// Writes one slot's value; returns the entity it produces in a user utterance, if any.
    pub(super) fn write(
        &self,
        name: &str,
        out: &mut String,
    ) -> Option<(&'static str, Option<u64>)> {
        match name {
            "order" => {
                push_u64(out, self.order.into());
                return Some(("sys-number", Some(self.order.into())));
            }
            "product" => {
                out.push_str(self.product);
                return Some(("product", None));
            }
            "city" => {
                out.push_str(self.city);
                return Some(("store_location", None));
            }
            "color" => {
                out.push_str(self.color);
                return Some(("color", None));
            }
            "days" => {
                push_u64(out, self.days.into());
                return Some(("sys-number", Some(self.days.into())));
            }
            "card4" => {
                push_u64(out, self.card4.into());
                return Some(("sys-number", Some(self.card4.into())));
            }
            "name" => out.push_str(self.name),
            "company" => out.push_str(COMPANY),
            "carrier" => out.push_str(self.carrier),
            "shipped" => push_date_words(out, self.shipped),
            "eta" => push_date_words(out, self.eta),
            "eta_iso" => push_date_iso(out, self.eta),
            "amount" => push_money(out, self.amount),
            "amount_num" => push_dec(out, f64::from(self.amount) / 100.0, 2),
            "amount_words" => {
                push_words(out, (self.amount / 100).min(9999));
                out.push_str(" dollars");
                if !self.amount.is_multiple_of(100) {
                    out.push_str(" and ");
                    push_words(out, self.amount % 100);
                    out.push_str(" cents");
                }
            }
            "points" => push_u64(out, self.points.into()),
            "zip" => {
                let mut b = [0u8; 5];
                put_digits(&mut b, self.zip.into());
                out.push_str(std::str::from_utf8(&b).unwrap_or(""));
            }
            "zip_words" => push_digit_words(out, self.zip, 5),
            "time" => out.push_str(self.time),
            "time2" => out.push_str(self.time2),
            "weekday" => out.push_str(self.weekday),
            "store" => push_u64(out, self.store.into()),
            "sku" => {
                out.push_str("SKU-");
                push_u64(out, self.sku.into());
            }
            "conf" => push_u64(out, self.conf.into()),
            "customer" => push_u64(out, self.customer.into()),
            "tier" => out.push_str(self.tier),
            "stock" => push_u64(out, self.stock.into()),
            "house" => push_u64(out, self.house.into()),
            "house_words" => {
                let width = if self.house >= 1000 {
                    4
                } else if self.house >= 100 {
                    3
                } else if self.house >= 10 {
                    2
                } else {
                    1
                };
                push_digit_words(out, self.house, width);
            }
            "street" => out.push_str(self.street),
            "street_title" => {
                for (i, word) in self.street.split(' ').enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let mut chars = word.chars();
                    if let Some(c) = chars.next() {
                        out.push(c.to_ascii_uppercase());
                        out.push_str(chars.as_str());
                    }
                }
            }
            _ => {
                debug_assert!(false, "unknown template slot {name}");
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        None
    }
}

/// Expands `{slot}` placeholders in `tpl` onto `out`; other braces are literal (JSON templates work).
pub(super) fn fill(out: &mut String, tpl: &str, sl: &Slots, mut spans: Option<&mut Vec<Span>>) {
    let b = tpl.as_bytes();
    let (mut i, mut lit) = (0, 0);
    while i < b.len() {
        if b[i] == b'{' {
            let mut k = i + 1;
            while k < b.len()
                && (b[k].is_ascii_lowercase() || b[k] == b'_' || b[k].is_ascii_digit())
            {
                k += 1;
            }
            if k > i + 1 && k < b.len() && b[k] == b'}' {
                out.push_str(&tpl[lit..i]);
                let start = out.len();
                let entity = sl.write(&tpl[i + 1..k], out);
                if let (Some((entity, numeric)), Some(spans)) = (entity, spans.as_deref_mut()) {
                    spans.push(Span {
                        entity,
                        start,
                        end: out.len(),
                        numeric,
                    });
                }
                i = k + 1;
                lit = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&tpl[lit..]);
}

pub(super) fn filled(tpl: &str, sl: &Slots) -> String {
    let mut s = String::with_capacity(tpl.len() + 32);
    fill(&mut s, tpl, sl, None);
    s
}

pub(super) fn write_entities(j: &mut JsonOut, text: &str, spans: &[Span]) {
    j.karr("entities");
    for span in spans {
        let value = &text[span.start..span.end];
        let start = text[..span.start].chars().count();
        let end = start + value.chars().count();
        j.obj();
        j.ks("entity", span.entity);
        j.karr("location");
        j.u(start as u64);
        j.u(end as u64);
        j.end_arr();
        j.ks("value", value);
        j.ku("confidence", 1);
        if let Some(n) = span.numeric {
            j.kobj("interpretation");
            j.ku("numeric_value", n);
            j.ks("subtype", "natural");
            j.end_obj();
        }
        j.end_obj();
    }
    j.end_arr();
}
