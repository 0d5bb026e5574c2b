//! Rich `output.generic` items of web chat turns: options, cards, conversational search.

use super::articles::{
    AGENT_AVAILABLE, AGENT_INTRO, AGENT_TOPICS, AGENT_UNAVAILABLE, ARTICLES, DISCLAIMER,
};
use super::json::JsonOut;
use super::random::Dice;
use super::slots::{Slots, filled};
use super::text::{push_date_iso, push_u64};
use super::topics::{Card, TOPIC_WEIGHTS, TOPICS};
use super::vocabulary::AREA_CODES;
use super::web::Offer;

/// An `option` response offering 3–4 topics; returns what was offered.
pub(super) fn option_item(j: &mut JsonOut, rng: &mut Dice, titles: &[&str]) -> Offer {
    let title = rng.pick(titles);
    let n = rng.range(3, 4) as usize;
    let mut topics = [0u8; 4];
    let mut count = 0;
    while count < n {
        let t = rng.weighted(&TOPIC_WEIGHTS) as u8;
        if !topics[..count].contains(&t) {
            topics[count] = t;
            count += 1;
        }
    }
    j.obj();
    j.ks("response_type", "option");
    j.ks("title", title);
    j.ks(
        "preference",
        if rng.chance(0.75) {
            "button"
        } else {
            "dropdown"
        },
    );
    j.karr("options");
    for &t in &topics[..count] {
        let label = TOPICS[t as usize].title;
        j.obj();
        j.ks("label", label);
        j.kobj("value");
        j.kobj("input");
        j.ks("text", label);
        j.end_obj();
        j.end_obj();
        j.end_obj();
    }
    j.end_arr();
    j.end_obj();
    Offer {
        topics,
        n: count as u8,
    }
}

pub(super) fn card_item(j: &mut JsonOut, rng: &mut Dice, card: Card, sl: &Slots) {
    j.obj();
    j.ks("response_type", "user_defined");
    j.kobj("user_defined");
    let mut buf = String::with_capacity(32);
    match card {
        Card::Order => {
            j.ks("template", "order_card");
            push_u64(&mut buf, sl.order.into());
            j.ks("order_id", &buf);
            j.ks("carrier", sl.carrier);
            buf.clear();
            push_date_iso(&mut buf, sl.eta);
            j.ks("eta", &buf);
        }
        Card::Refund => {
            j.ks("template", "refund_card");
            buf.push('R');
            push_u64(&mut buf, sl.conf.into());
            j.ks("refund_id", &buf);
            j.kd("amount", f64::from(sl.amount) / 100.0, 2);
            j.ks("status", "pending");
        }
        Card::Product => {
            j.ks("template", "product_card");
            buf.push_str("SKU-");
            push_u64(&mut buf, sl.sku.into());
            j.ks("sku", &buf);
            j.ks("name", sl.product);
            j.kd("price", f64::from(sl.amount) / 100.0, 2);
            j.kb("in_stock", rng.chance(0.8));
        }
        Card::Store => {
            j.ks("template", "store_card");
            j.ku("store_id", sl.store.into());
            j.ks("city", sl.city);
            buf.push_str("+1");
            buf.push_str(rng.pick(AREA_CODES));
            buf.push_str("555");
            rng.push_digits(&mut buf, 4);
            j.ks("phone", &buf);
        }
        Card::None => {}
    }
    j.end_obj();
    j.end_obj();
}

pub(super) fn conversational_search_item(
    j: &mut JsonOut,
    rng: &mut Dice,
    ai: usize,
    sl: &Slots,
    (pre, post): (f64, f64),
) {
    let art = &ARTICLES[ai];
    let answer = filled(art.answer, sl);
    j.obj();
    j.ks("response_type", "conversational_search");
    j.ks("text", &answer);
    j.ks("citations_title", "How do we know?");
    j.karr("citations");
    j.obj();
    j.ks("title", art.title);
    let cut = art.body.find('.').unwrap_or(art.body.len());
    j.ks("text", &art.body[..cut]);
    j.ks("body", art.body);
    j.ku("search_result_index", 0);
    j.karr("ranges");
    j.obj();
    j.ku("start", 0);
    j.ku("end", art.body[..cut].chars().count() as u64);
    j.end_obj();
    j.end_arr();
    j.end_obj();
    j.end_arr();
    j.kobj("confidence_scores");
    j.ku("threshold", 0);
    j.kd("pre_gen", pre, 4);
    j.kd("post_gen", post, 4);
    j.kd("extractiveness", 0.3 + 0.6 * rng.f(), 4);
    j.end_obj();
    j.ks(
        "response_length_option",
        rng.pick(&["moderate", "moderate", "concise", "verbose"]),
    );
    j.karr("search_results");
    let extra = rng.range(0, 2) as usize;
    let mut score = 12.0 + 10.0 * rng.f();
    // The cited article first, then up to two different ones.
    let mut offset = 0;
    for k in 0..=extra {
        if k > 0 {
            offset += 1 + rng.below(5);
        }
        let a = &ARTICLES[(ai + offset) % ARTICLES.len()];
        j.obj();
        j.kobj("result_metadata");
        j.ks("document_retrieval_source", "elasticsearch");
        j.kd("score", score, 2);
        j.end_obj();
        j.ks("id", a.id);
        j.ks("title", a.title);
        j.ks("body", a.body);
        j.end_obj();
        score *= 0.5 + 0.3 * rng.f();
    }
    j.end_arr();
    j.ks("disclaimer", DISCLAIMER);
    j.end_obj();
}

/// A `suggestion` response ("Did you mean:") offering two topics and "None of the above"; returns
/// what was offered.
pub(super) fn suggestion_item(
    j: &mut JsonOut,
    a: usize,
    b: usize,
    intents: &[(&'static str, f64)],
) -> Offer {
    j.obj();
    j.ks("response_type", "suggestion");
    j.ks("title", "Did you mean:");
    j.karr("suggestions");
    for (ti, (_, conf)) in [a, b].iter().zip(intents.iter()) {
        j.obj();
        j.ks("label", TOPICS[*ti].title);
        j.kobj("value");
        j.kobj("input");
        j.ks("text", TOPICS[*ti].title);
        j.karr("intents");
        j.obj();
        j.ks("intent", TOPICS[*ti].intent);
        j.kd("confidence", *conf, 4);
        j.end_obj();
        j.end_arr();
        j.end_obj();
        j.end_obj();
        j.end_obj();
    }
    j.obj();
    j.ks("label", "None of the above");
    j.kobj("value");
    j.kobj("input");
    j.ks("text", "None of the above");
    j.end_obj();
    j.end_obj();
    j.end_obj();
    j.end_arr();
    j.end_obj();
    Offer {
        topics: [a as u8, b as u8, 0, 0],
        n: 2,
    }
}

/// The hand-over to a human agent: an intro text and a `connect_to_agent` response.
pub(super) fn agent_items(j: &mut JsonOut, rng: &mut Dice, sl: &Slots) {
    j.text_item(rng.pick(AGENT_INTRO));
    j.obj();
    j.ks("response_type", "connect_to_agent");
    let about = match rng.below(3) {
        0 => filled("Customer asked about order {order}.", sl),
        1 => filled("Customer needs help with a {product}.", sl),
        _ => String::from("Customer asked for a human agent."),
    };
    j.ks("message_to_human_agent", &about);
    j.kobj("agent_available");
    j.ks("message", rng.pick(AGENT_AVAILABLE));
    j.end_obj();
    j.kobj("agent_unavailable");
    j.ks("message", rng.pick(AGENT_UNAVAILABLE));
    j.end_obj();
    j.ks("topic", rng.pick(AGENT_TOPICS));
    j.end_obj();
}
