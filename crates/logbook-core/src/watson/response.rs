//! What a `message_logged` body's `response.output` holds, read for a person: each
//! `output.generic[]` item by its `response_type` ([`OutputItem`]), the intents and entities, and
//! the assistant's path through the turn (`output.debug`). The conversation view
//! (`query/conversation.rs`) assembles turns from these.

use serde::Serialize;
use serde_json::Value;

use super::json::{
    Json, array, at, boolean, integer, number, object_at, present, scalar_text, string,
};

/// One `output.generic[]` item, by its `response_type`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Text {
        text: Option<String>,
        channels: Vec<String>,
    },
    Option {
        title: Option<String>,
        description: Option<String>,
        /// `button` or `dropdown`.
        preference: Option<String>,
        options: Vec<Choice>,
        channels: Vec<String>,
    },
    Suggestion {
        title: Option<String>,
        suggestions: Vec<Choice>,
        channels: Vec<String>,
    },
    Image {
        source: Option<String>,
        title: Option<String>,
        description: Option<String>,
        alt_text: Option<String>,
        channel_options: Option<Value>,
        channels: Vec<String>,
    },
    Video {
        source: Option<String>,
        title: Option<String>,
        description: Option<String>,
        alt_text: Option<String>,
        channel_options: Option<Value>,
        channels: Vec<String>,
    },
    Audio {
        source: Option<String>,
        title: Option<String>,
        description: Option<String>,
        alt_text: Option<String>,
        channel_options: Option<Value>,
        channels: Vec<String>,
    },
    Iframe {
        source: Option<String>,
        title: Option<String>,
        description: Option<String>,
        image_url: Option<String>,
        channels: Vec<String>,
    },
    Pause {
        time_ms: Option<i64>,
        typing: Option<bool>,
        channels: Vec<String>,
    },
    Search {
        header: Option<String>,
        /// `primary_results` (or a legacy `results`).
        results: Vec<SearchHit>,
        additional_results: Vec<SearchHit>,
        channels: Vec<String>,
    },
    /// Also what a `conversation_search` item (the Java SDK's spelling) becomes.
    ConversationalSearch {
        text: Option<String>,
        citations_title: Option<String>,
        citations: Vec<Citation>,
        /// `{threshold, pre_gen, post_gen, extractiveness}` as sent.
        confidence_scores: Option<Value>,
        response_length_option: Option<String>,
        search_results: Vec<SearchHit>,
        disclaimer: Option<String>,
        channels: Vec<String>,
    },
    ConnectToAgent {
        message_to_human_agent: Option<String>,
        agent_available: Option<String>,
        agent_unavailable: Option<String>,
        topic: Option<String>,
        /// The first key of `transfer_info.target`: `service_desk`, `zendesk`, `salesforce`, …
        target_kind: Option<String>,
        /// `transfer_info.target.<kind>.sip.uri` (phone transfers).
        sip_uri: Option<String>,
        transfer_info: Option<Value>,
        channels: Vec<String>,
    },
    ChannelTransfer {
        message_to_user: Option<String>,
        /// `transfer_info.target.chat.url`.
        target_url: Option<String>,
        transfer_info: Option<Value>,
        channels: Vec<String>,
    },
    Dtmf {
        /// `command_info.type`: `collect`, `send`, `enable_barge_in`, `disable_barge_in`.
        command: Option<String>,
        parameters: Option<Value>,
        channels: Vec<String>,
    },
    EndSession {
        /// Every field of the item but `response_type` and `channels`.
        fields: Value,
        channels: Vec<String>,
    },
    UserDefined {
        user_defined: Value,
        channels: Vec<String>,
    },
    TextToSpeech {
        command: Option<String>,
        parameters: Option<Value>,
        channels: Vec<String>,
    },
    SpeechToText {
        command: Option<String>,
        parameters: Option<Value>,
        channels: Vec<String>,
    },
    StartActivities {
        command: Option<String>,
        parameters: Option<Value>,
        channels: Vec<String>,
    },
    StopActivities {
        command: Option<String>,
        parameters: Option<Value>,
        channels: Vec<String>,
    },
    /// Any other `response_type` (or none: `unknown`); `value` is the whole item.
    Other {
        response_type: String,
        value: Value,
        channels: Vec<String>,
    },
}

/// A button of an `option` or `suggestion` item.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Choice {
    pub label: Option<String>,
    /// `value.input.text` when present, else the `value` as JSON text.
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SearchHit {
    pub id: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
    /// `result_metadata.confidence` and `result_metadata.score`.
    pub confidence: Option<f64>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Citation {
    pub title: Option<String>,
    /// The citation's own `url`, else that of the search result it points at.
    pub url: Option<String>,
    /// The cited snippet.
    pub text: Option<String>,
    pub body: Option<String>,
    pub search_result_index: Option<i64>,
    /// `[start, end]` character ranges.
    pub ranges: Vec<[i64; 2]>,
}

/// An intent and its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Scored {
    pub name: String,
    pub confidence: Option<f64>,
    /// The title of the action this intent starts (an actions skill names its intents after the
    /// action: `action_24031_intent_11874` belongs to `action_24031`, "Check order status"), when
    /// the turn's debug output names it.
    pub title: Option<String>,
}

/// The actions a turn's `output.debug.turn_events` name, each once, in order: (action id, title).
pub fn actions<J: Json>(debug: &J) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for e in array(debug.get("turn_events")) {
        let Some(source) = e.get("source") else {
            continue;
        };
        let Some(action) = string(source.get("action")) else {
            continue;
        };
        let title = string(source.get("action_title"));
        match out.iter_mut().find(|(a, _)| *a == action) {
            Some((_, t)) if t.is_none() => *t = title,
            Some(_) => {}
            None => out.push((action, title)),
        }
    }
    out
}

/// The action an actions-skill intent belongs to: `action_24031_intent_11874` → `action_24031`.
/// `None` for a dialog skill's intent (`pay_bill`).
pub fn intent_action(intent: &str) -> Option<&str> {
    let (action, n) = intent.rsplit_once("_intent_")?;
    (!action.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(action)
}

/// The title of `intent`'s action among a turn's `actions`.
pub fn intent_title(intent: &str, actions: &[(String, Option<String>)]) -> Option<String> {
    let action = intent_action(intent)?;
    actions
        .iter()
        .find(|(a, _)| a == action)
        .and_then(|(_, t)| t.clone())
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EntityHit {
    pub entity: String,
    /// Strings as they are, other values as JSON text.
    pub value: Option<String>,
    pub confidence: Option<f64>,
    pub location: Option<[i64; 2]>,
    /// `role.type`: `date_from`, `number_to`, …
    pub role: Option<String>,
}

/// A step of the assistant's path through the turn.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Visit {
    /// `action`, `step`, `handler`, `node`, or `event` (anything else: callout, search, …).
    pub kind: String,
    /// The turn event's name (`action_visited`, `step_answered`, `callout`, …); `node_visited` for
    /// a dialog skill's `nodes_visited` entries.
    pub event: String,
    /// The action, step, handler or dialog node id; for kind `event`, the event's name.
    pub name: String,
    /// The action's title, or the dialog node's.
    pub title: Option<String>,
    /// `reason: …, condition: …`, a dialog node's conditions, a callout's request and status, …
    pub detail: Option<String>,
}

/// One `output.debug.log_messages[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LogMessage {
    pub level: Option<String>,
    pub message: Option<String>,
    pub code: Option<String>,
}

/// One `output.intents[]` item; `None` without an intent name.
pub fn intent(i: &Value) -> Option<Scored> {
    Some(Scored {
        name: string(i.get("intent"))?,
        confidence: number(i.get("confidence")),
        title: None,
    })
}

/// One `output.entities[]` item; `None` without an entity name.
pub fn entity_hit(e: &Value) -> Option<EntityHit> {
    let location = e
        .get("location")
        .filter(|l| l.is_array())
        .and_then(|l| Some([integer(l.get(0))?, integer(l.get(1))?]));
    Some(EntityHit {
        entity: string(e.get("entity"))?,
        value: scalar_text(e.get("value")),
        confidence: number(e.get("confidence")),
        location,
        role: string(at(e, &["role", "type"])),
    })
}

/// One `output.generic[]` item, by its `response_type`.
pub fn output_item(item: &Value) -> OutputItem {
    let s = |key: &str| string(item.get(key));
    let channels = array(item.get("channels"))
        .filter_map(|c| string(c.get("channel")).or_else(|| string(Some(c))))
        .collect::<Vec<_>>();
    let media = |item: &Value| {
        (
            string(item.get("source")),
            string(item.get("title")),
            string(item.get("description")),
            string(item.get("alt_text")),
            present(item.get("channel_options")),
        )
    };
    let command = || string(at(item, &["command_info", "type"]));
    let parameters = || {
        present(at(item, &["command_info", "parameters"]))
            .or_else(|| present(item.get("parameters")))
    };
    let response_type = string(item.get("response_type"));
    match response_type.as_deref() {
        Some("text") => OutputItem::Text {
            text: s("text"),
            channels,
        },
        Some("option") => OutputItem::Option {
            title: s("title"),
            description: s("description"),
            preference: s("preference"),
            options: array(item.get("options")).map(choice).collect(),
            channels,
        },
        Some("suggestion") => OutputItem::Suggestion {
            title: s("title"),
            suggestions: array(item.get("suggestions")).map(choice).collect(),
            channels,
        },
        Some("image") => {
            let (source, title, description, alt_text, channel_options) = media(item);
            OutputItem::Image {
                source,
                title,
                description,
                alt_text,
                channel_options,
                channels,
            }
        }
        Some("video") => {
            let (source, title, description, alt_text, channel_options) = media(item);
            OutputItem::Video {
                source,
                title,
                description,
                alt_text,
                channel_options,
                channels,
            }
        }
        Some("audio") => {
            let (source, title, description, alt_text, channel_options) = media(item);
            OutputItem::Audio {
                source,
                title,
                description,
                alt_text,
                channel_options,
                channels,
            }
        }
        Some("iframe") => OutputItem::Iframe {
            source: s("source"),
            title: s("title"),
            description: s("description"),
            image_url: s("image_url"),
            channels,
        },
        Some("pause") => OutputItem::Pause {
            time_ms: integer(item.get("time")),
            typing: boolean(item.get("typing")),
            channels,
        },
        Some("search") => OutputItem::Search {
            header: s("header"),
            results: array(item.get("primary_results").or_else(|| item.get("results")))
                .map(search_hit)
                .collect(),
            additional_results: array(item.get("additional_results"))
                .map(search_hit)
                .collect(),
            channels,
        },
        Some("conversational_search" | "conversation_search") => {
            let search_results = array(item.get("search_results"))
                .map(search_hit)
                .collect::<Vec<_>>();
            let citations = array(item.get("citations"))
                .map(|c| {
                    let search_result_index = integer(c.get("search_result_index"));
                    let url = string(c.get("url")).or_else(|| {
                        let index = usize::try_from(search_result_index?).ok()?;
                        search_results.get(index)?.url.clone()
                    });
                    Citation {
                        title: string(c.get("title")),
                        url,
                        text: string(c.get("text")),
                        body: string(c.get("body")),
                        search_result_index,
                        ranges: array(c.get("ranges"))
                            .filter_map(|r| {
                                Some([integer(r.get("start"))?, integer(r.get("end"))?])
                            })
                            .collect(),
                    }
                })
                .collect();
            OutputItem::ConversationalSearch {
                text: s("text"),
                citations_title: s("citations_title"),
                citations,
                confidence_scores: present(item.get("confidence_scores")),
                response_length_option: s("response_length_option"),
                search_results,
                disclaimer: s("disclaimer"),
                channels,
            }
        }
        Some("connect_to_agent") => {
            let transfer_info = present(item.get("transfer_info"));
            let target = object_at(item, &["transfer_info", "target"]);
            OutputItem::ConnectToAgent {
                message_to_human_agent: s("message_to_human_agent"),
                agent_available: string(at(item, &["agent_available", "message"])),
                agent_unavailable: string(at(item, &["agent_unavailable", "message"])),
                topic: s("topic"),
                target_kind: target.and_then(|t| t.keys().next().cloned()),
                sip_uri: target
                    .into_iter()
                    .flat_map(|t| t.values())
                    .find_map(|v| string(at(v, &["sip", "uri"]))),
                transfer_info,
                channels,
            }
        }
        Some("channel_transfer") => OutputItem::ChannelTransfer {
            message_to_user: s("message_to_user"),
            target_url: string(at(item, &["transfer_info", "target", "chat", "url"])),
            transfer_info: present(item.get("transfer_info")),
            channels,
        },
        Some("dtmf") => OutputItem::Dtmf {
            command: command(),
            parameters: parameters(),
            channels,
        },
        Some("end_session") => {
            let mut fields = item.as_object().cloned().unwrap_or_default();
            fields.remove("response_type");
            fields.remove("channels");
            OutputItem::EndSession {
                fields: Value::Object(fields),
                channels,
            }
        }
        Some("user_defined") => OutputItem::UserDefined {
            user_defined: item.get("user_defined").cloned().unwrap_or(Value::Null),
            channels,
        },
        Some("text_to_speech") => OutputItem::TextToSpeech {
            command: command(),
            parameters: parameters(),
            channels,
        },
        Some("speech_to_text") => OutputItem::SpeechToText {
            command: command(),
            parameters: parameters(),
            channels,
        },
        Some("start_activities") => OutputItem::StartActivities {
            command: command(),
            parameters: parameters(),
            channels,
        },
        Some("stop_activities") => OutputItem::StopActivities {
            command: command(),
            parameters: parameters(),
            channels,
        },
        other => OutputItem::Other {
            response_type: other.unwrap_or("unknown").to_owned(),
            value: item.clone(),
            channels,
        },
    }
}

fn choice(c: &Value) -> Choice {
    let value = c.get("value").filter(|v| !v.is_null());
    Choice {
        label: string(c.get("label")),
        value: value
            .and_then(|v| string(at(v, &["input", "text"])).or_else(|| scalar_text(Some(v)))),
    }
}

fn search_hit(r: &Value) -> SearchHit {
    SearchHit {
        id: scalar_text(r.get("id")),
        title: string(r.get("title")),
        body: string(r.get("body")),
        url: string(r.get("url")),
        confidence: number(at(r, &["result_metadata", "confidence"])),
        score: number(at(r, &["result_metadata", "score"])),
    }
}

/// `nodes_visited` and `turn_events`, in the order the payload has them.
pub fn visits(debug: &Value) -> Vec<Visit> {
    let mut out = Vec::new();
    let Some(map) = debug.as_object() else {
        return out;
    };
    for (key, value) in map {
        match key.as_str() {
            "nodes_visited" => out.extend(array(Some(value)).map(|n| Visit {
                kind: "node".to_owned(),
                event: "node_visited".to_owned(),
                name: string(n.get("dialog_node")).unwrap_or_default(),
                title: string(n.get("title")),
                detail: string(n.get("conditions")),
            })),
            "turn_events" => out.extend(array(Some(value)).map(turn_event)),
            _ => {}
        }
    }
    out
}

fn turn_event(e: &Value) -> Visit {
    let event = string(e.get("event")).unwrap_or_else(|| "unknown".to_owned());
    let source = e.get("source").unwrap_or(&Value::Null);
    let from = |key: &str| string(source.get(key));
    let (kind, name) = match event.as_str() {
        "action_visited" | "action_finished" => ("action", from("action")),
        "step_visited" | "step_answered" => ("step", from("step").or_else(|| from("action"))),
        "handler_visited" => (
            "handler",
            from("handler")
                .or_else(|| from("step"))
                .or_else(|| from("action")),
        ),
        "node_visited" => ("node", from("dialog_node")),
        _ if from("type").as_deref() == Some("handler") => ("handler", from("handler")),
        _ => ("event", None),
    };
    Visit {
        kind: kind.to_owned(),
        name: name.unwrap_or_else(|| event.clone()),
        title: from("action_title").or_else(|| from("title")),
        detail: event_detail(e),
        event,
    }
}

/// The parts of a turn event worth one line.
fn event_detail(e: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(reason) = string(e.get("reason")) {
        parts.push(format!("reason: {reason}"));
    }
    if let Some(condition) = string(e.get("condition_type")) {
        parts.push(format!("condition: {condition}"));
    }
    if boolean(e.get("has_question")) == Some(true) {
        parts.push("asks a question".to_owned());
    }
    if let Some(prompted) = boolean(e.get("prompted")) {
        parts.push(format!("prompted: {prompted}"));
    }
    if let Some(route) = string(e.get("route_name")) {
        parts.push(format!("route: {route}"));
    }
    let denied = array(e.get("intents_denied"))
        .filter_map(|i| string(i.get("intent")).or_else(|| string(Some(i))))
        .collect::<Vec<_>>();
    if !denied.is_empty() {
        parts.push(format!("denied: {}", denied.join(", ")));
    }
    if let Some(task) = string(at(e, &["generative_ai", "task"])) {
        parts.push(format!("task: {task}"));
    }
    if boolean(at(e, &["generative_ai", "is_idk_response"])) == Some(true) {
        parts.push("no answer (idk)".to_owned());
    }
    if let Some(ms) = integer(at(e, &["metrics", "total_time_ms"])) {
        parts.push(format!("{ms} ms"));
    }
    if let Some(callout) = e.get("callout").filter(|c| c.get("request").is_some()) {
        let method = string(at(callout, &["request", "method"])).unwrap_or_default();
        let url = string(at(callout, &["request", "url"])).unwrap_or_default();
        let path = string(at(callout, &["request", "path"])).unwrap_or_default();
        let mut line = format!("{method} {url}{path}").trim().to_owned();
        if let Some(status) = integer(at(callout, &["response", "status_code"])) {
            line.push_str(&format!(" → {status}"));
        }
        parts.push(line);
    }
    let error = string(at(e, &["error", "message"])).or_else(|| string(e.get("error")));
    if let Some(error) = error {
        parts.push(format!("error: {error}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One `output.debug.log_messages[]` entry.
pub fn log_message(m: &Value) -> LogMessage {
    LogMessage {
        level: string(m.get("level")),
        message: string(m.get("message")),
        code: string(m.get("code")),
    }
}
