//! The `turn_events` of a web chat turn's `output.debug`.

use super::Ms;
use super::articles::{ARTICLES, IDK_TEXT, LLM_MODEL};
use super::json::JsonOut;
use super::random::Dice;
use super::slots::{Slots, filled};
use super::topics::{Callout, Topic};

pub(super) fn result_var(c: &Callout) -> String {
    let mut s = String::with_capacity(20);
    s.push_str(c.step);
    s.push_str("_result_1");
    s
}

/// Opens an action-level turn event (left open so the caller can add fields).
pub(super) fn action_event(
    j: &mut JsonOut,
    event: &str,
    action: &str,
    title: &str,
    start: Ms,
    cond: &str,
) {
    j.obj();
    j.ks("event", event);
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", action);
    j.ks("action_title", title);
    j.end_obj();
    j.kts("action_start_time", start);
    j.ks("condition_type", cond);
}

pub(super) fn step_event(
    j: &mut JsonOut,
    action: &str,
    title: &str,
    step: &str,
    start: Ms,
    cond: &str,
    question: bool,
) {
    j.obj();
    j.ks("event", "step_visited");
    j.kobj("source");
    j.ks("type", "step");
    j.ks("action", action);
    j.ks("action_title", title);
    j.ks("step", step);
    j.end_obj();
    j.ks("condition_type", cond);
    j.kts("action_start_time", start);
    j.kb("has_question", question);
    j.end_obj();
}

/// action_visited, step_visited(step_001), action_finished.
pub(super) fn simple_action_events(
    j: &mut JsonOut,
    action: &str,
    title: &str,
    cond: &str,
    reason: &str,
    finished: &str,
    start: Ms,
) {
    action_event(j, "action_visited", action, title, start, cond);
    j.ks("reason", reason);
    j.end_obj();
    step_event(j, action, title, "step_001", start, cond, false);
    action_event(j, "action_finished", action, title, start, cond);
    j.ks("reason", finished);
    j.kempty("action_variables");
    j.end_obj();
}

pub(super) fn callout_event(
    j: &mut JsonOut,
    rng: &mut Dice,
    tp: &Topic,
    c: &Callout,
    sl: &Slots,
    ok: bool,
    body: Option<&str>,
) {
    j.obj();
    j.ks("event", "callout");
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", tp.action);
    j.ks("action_title", tp.title);
    j.end_obj();
    j.kobj("callout");
    j.ks("type", "integration_interaction");
    j.kobj("internal");
    let mut hash = String::with_capacity(6);
    rng.push_hex(&mut hash, 6);
    j.ks("spec_hash_id", &hash);
    j.ks("catalog_item_id", rng.id().as_str());
    j.end_obj();
    j.ks("result_variable", &result_var(c));
    j.kobj("request");
    j.ks("method", c.method);
    j.ks("url", c.url);
    j.ks("path", &filled(c.path, sl));
    j.ks("query_parameters", "");
    j.kempty("headers");
    j.kempty("body");
    j.end_obj();
    j.kobj("response");
    if ok {
        j.ks("body", body.unwrap_or("{}"));
        j.ku("status_code", 200);
    } else {
        j.ks("body", "{\"error\":\"upstream unavailable\"}");
        j.ku("status_code", 503);
    }
    j.end_obj();
    j.end_obj();
    if !ok {
        j.kobj("error");
        j.ks("message", "Request failed with status code 503");
        j.end_obj();
    }
    j.end_obj();
}

#[allow(clippy::too_many_arguments)]
pub(super) fn generative_event(
    j: &mut JsonOut,
    rng: &mut Dice,
    ai: usize,
    text: &str,
    start: Ms,
    idk: bool,
    sl: &Slots,
    (pre, post): (f64, f64),
) {
    let art = &ARTICLES[ai];
    let search_ms = rng.range(120, 700) as u64;
    let gen_ms = rng.range(900, 3000) as u64;
    j.obj();
    j.ks("event", "generative_ai_called");
    j.kobj("source");
    j.ks("type", "action");
    j.ks("action", "anything_else");
    j.ks("action_title", "No action matches");
    j.end_obj();
    j.kts("generative_ai_start_time", start + 20);
    j.kobj("generative_ai");
    j.ks("task", "content_grounded_answering");
    j.kb("is_idk_response", idk);
    j.kb("is_hap_detected", false);
    j.kobj("confidence_scores");
    j.kd("pre_gen", pre, 4);
    j.ku("pre_gen_threshold", 0);
    j.kd("post_gen", if idk { post / 5.0 } else { post }, 4);
    j.ku("post_gen_threshold", 0);
    j.end_obj();
    if idk {
        j.ks("original_response", IDK_TEXT);
    } else {
        j.ks("original_response", &filled(art.answer, sl));
    }
    let query = text.trim_end_matches(['?', '!', '.']).to_lowercase();
    j.ks("inferred_query", &query);
    j.end_obj();
    j.kobj("callout");
    j.kb("search_called", true);
    j.kb("llm_called", true);
    j.kobj("search");
    j.ks("engine", "elasticsearch");
    j.ks("index", "kb-articles");
    j.ks("query", &query);
    j.end_obj();
    j.kobj("llm");
    j.ks("type", "watsonx");
    j.ks("model_id", LLM_MODEL);
    j.ku("generated_token_count", rng.range(20, 120) as u64);
    j.ku("input_token_count", rng.range(600, 2400) as u64);
    j.kb("success", true);
    j.end_obj();
    j.end_obj();
    j.kobj("metrics");
    j.ku("search_time_ms", search_ms);
    j.ku("answer_generation_time_ms", gen_ms);
    j.ku(
        "total_time_ms",
        search_ms + gen_ms + rng.range(5, 40) as u64,
    );
    j.end_obj();
    j.end_obj();
}
