//! Filler for `message_body`: an order history and notes that bring a body to its size.

use super::Ms;
use super::json::JsonOut;
use super::random::Dice;
use super::slots::Slots;
use super::text::{push_date_iso, push_u64};
use super::vocabulary::PRODUCTS;

/// Adds exactly `bytes` bytes of members to the open `skill_variables` object (which already has
/// members): an order history while there is room, then a notes string to hit the size exactly.
pub(super) fn write_padding(j: &mut JsonOut, bytes: usize, seed: u64, t: Ms) {
    const NOTES_OVERHEAD: usize = ",\"notes\":\"\"".len();
    const WORDS: &[&str] = &[
        "customer",
        "prefers",
        "email",
        "contact",
        "delivery",
        "weekday",
        "mornings",
        "order",
        "returned",
        "replacement",
        "sent",
        "loyal",
        "since",
        "asked",
        "about",
        "discount",
        "warranty",
        "follow",
        "up",
        "next",
        "week",
        "store",
        "pickup",
        "gift",
    ];
    let mut rng = Dice::new(seed);
    let target = j.s.len() + bytes;
    if bytes > 600 {
        let mut sl = Slots::random(&mut rng, t);
        j.karr("order_history");
        // Leave room for `]` and the notes member.
        while j.s.len() + 200 < target {
            sl.order = rng.range(10_000, 99_999) as u32;
            sl.product = rng.pick(PRODUCTS);
            sl.amount = rng.range(300, 40_000) as u32;
            j.obj();
            let mut id = String::with_capacity(8);
            push_u64(&mut id, sl.order.into());
            j.ks("order_id", &id);
            j.ks("item", sl.product);
            j.kd("total", f64::from(sl.amount) / 100.0, 2);
            j.ks(
                "status",
                rng.pick(&["delivered", "delivered", "returned", "shipped"]),
            );
            id.clear();
            push_date_iso(&mut id, t - rng.range(5, 700) * 86_400_000);
            j.ks("date", &id);
            j.end_obj();
        }
        j.end_arr();
    }
    let room = target.saturating_sub(j.s.len());
    if room >= NOTES_OVERHEAD {
        let mut notes = String::with_capacity(room);
        let want = room - NOTES_OVERHEAD;
        while notes.len() < want {
            if !notes.is_empty() {
                notes.push(' ');
            }
            notes.push_str(rng.pick(WORDS));
        }
        notes.truncate(want);
        j.ks("notes", &notes);
    }
}
