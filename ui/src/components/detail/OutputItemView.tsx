// One assistant response item (`output.generic[]`), drawn for what it is, the way the chat showed
// it, but inert: option buttons are disabled, media are links, images load only when asked.
import { useState } from "react";
import type { Choice } from "../../api/types/Choice";
import type { Citation } from "../../api/types/Citation";
import type { OutputItem } from "../../api/types/OutputItem";
import type { SearchHit } from "../../api/types/SearchHit";
import type { JsonValue } from "../../api/types/serde_json/JsonValue";
import { ExternalLink, JsonBlock } from "./common";
import { formatMs, jsonText, safeHttpUrl } from "../../format";

export function OutputItemView({ item }: { item: OutputItem }) {
  return (
    <div className={`out-item out-${item.type}`} data-output-type={item.type}>
      <ItemBody item={item} />
      {item.channels.length > 0 && (
        <div className="out-channels muted">only on: {item.channels.join(", ")}</div>
      )}
    </div>
  );
}

function ItemBody({ item }: { item: OutputItem }) {
  switch (item.type) {
    case "text":
      return <div className="out-text">{item.text ?? ""}</div>;
    case "option":
      return (
        <div>
          {item.title && <div className="out-title">{item.title}</div>}
          {item.description && <div className="out-description">{item.description}</div>}
          <Choices choices={item.options} kind={item.preference === "dropdown" ? "dropdown" : "options"} />
        </div>
      );
    case "suggestion":
      return (
        <div>
          <div className="out-title">{item.title ?? "Suggestions"}</div>
          <Choices choices={item.suggestions} kind="suggestions" />
        </div>
      );
    case "image":
      return <ImageItem item={item} />;
    case "video":
    case "audio":
    case "iframe":
      return (
        <div>
          <Label>{item.type}</Label> {item.title && <span className="out-title">{item.title}</span>}
          {item.description && <div className="out-description">{item.description}</div>}
          <div>
            <ExternalLink url={item.source} />
            {!item.source && <span className="muted">no source</span>}
          </div>
          {item.type === "iframe" && item.image_url && (
            <div className="muted">
              preview image: <ExternalLink url={item.image_url} />
            </div>
          )}
          {item.type !== "iframe" && item.alt_text && <div className="muted">alt: {item.alt_text}</div>}
          <div className="muted small">Not embedded: open the link to play it.</div>
        </div>
      );
    case "pause":
      return (
        <div className="out-pause muted">
          … pause {formatMs(item.time_ms)}
          {item.typing ? " (typing)" : ""}
        </div>
      );
    case "search":
      return (
        <div>
          <Label>search</Label> {item.header && <span className="out-title">{item.header}</span>}
          <SearchHits hits={item.results} />
          {item.additional_results.length > 0 && (
            <details>
              <summary>{item.additional_results.length} more results</summary>
              <SearchHits hits={item.additional_results} />
            </details>
          )}
        </div>
      );
    case "conversational_search":
      return (
        <div>
          <Label>conversational search</Label>
          <div className="out-text">{item.text ?? ""}</div>
          {item.citations.length > 0 && (
            <div className="citations">
              <div className="out-title">{item.citations_title ?? "Citations"}</div>
              <ol>
                {item.citations.map((c, i) => (
                  <CitationView key={i} citation={c} />
                ))}
              </ol>
            </div>
          )}
          {item.disclaimer && <div className="muted small">{item.disclaimer}</div>}
          {(item.confidence_scores !== null || item.response_length_option || item.search_results.length > 0) && (
            <details>
              <summary>confidence and search results</summary>
              {item.response_length_option && <div>response length: {item.response_length_option}</div>}
              {item.confidence_scores !== null && <ParamList params={item.confidence_scores} />}
              <SearchHits hits={item.search_results} />
            </details>
          )}
        </div>
      );
    case "connect_to_agent":
      return (
        <div className="out-transfer">
          <Label tone="warn">transfer to a human agent</Label>
          {item.target_kind && <span className="chip">{item.target_kind}</span>}
          {item.sip_uri && <span className="chip mono">{item.sip_uri}</span>}
          {item.message_to_human_agent && (
            <div>
              <span className="muted">message to the agent: </span>
              <span className="out-text-inline">{item.message_to_human_agent}</span>
            </div>
          )}
          {item.agent_available && (
            <div>
              <span className="muted">if an agent is available: </span>
              <span className="out-text-inline">{item.agent_available}</span>
            </div>
          )}
          {item.agent_unavailable && (
            <div>
              <span className="muted">if none is: </span>
              <span className="out-text-inline">{item.agent_unavailable}</span>
            </div>
          )}
          {item.topic && <div className="muted">topic: {item.topic}</div>}
          {item.transfer_info !== null && (
            <details>
              <summary>transfer_info</summary>
              <JsonBlock value={item.transfer_info} />
            </details>
          )}
        </div>
      );
    case "channel_transfer":
      return (
        <div className="out-transfer">
          <Label tone="warn">channel transfer</Label>
          {item.message_to_user && <div className="out-text">{item.message_to_user}</div>}
          {item.target_url && (
            <div>
              <span className="muted">to: </span>
              <ExternalLink url={item.target_url} />
            </div>
          )}
          {item.transfer_info !== null && (
            <details>
              <summary>transfer_info</summary>
              <JsonBlock value={item.transfer_info} />
            </details>
          )}
        </div>
      );
    case "end_session":
      return <CommandChip name="end session" command={null} parameters={item.fields} />;
    case "dtmf":
    case "text_to_speech":
    case "speech_to_text":
    case "start_activities":
    case "stop_activities":
      return <CommandChip name={item.type} command={item.command} parameters={item.parameters} />;
    case "user_defined":
      return (
        <div>
          <Label>user_defined</Label>
          <JsonBlock value={item.user_defined} />
        </div>
      );
    case "other":
      return (
        <div>
          <Label>{item.response_type}</Label>
          <JsonBlock value={item.value} />
        </div>
      );
  }
}

function Label({ children, tone }: { children: string; tone?: "warn" }) {
  return <span className={`out-label${tone ? ` out-label-${tone}` : ""}`}>{children}</span>;
}

/** Buttons as the user saw them, disabled: this is a record, not the chat. */
function Choices({ choices, kind }: { choices: Choice[]; kind: "options" | "dropdown" | "suggestions" }) {
  return (
    <div className="choices" role="group" aria-label={kind}>
      {kind === "dropdown" && <span className="muted small">(dropdown) </span>}
      {choices.map((c, i) => (
        <button
          type="button"
          key={i}
          className="choice"
          disabled
          title={c.value !== null && c.value !== c.label ? `sends: ${c.value}` : undefined}
        >
          {c.label ?? c.value ?? "(no label)"}
        </button>
      ))}
    </div>
  );
}

/** An image: its link and a button; the `<img>` exists only after the user asks for it. */
function ImageItem({ item }: { item: Extract<OutputItem, { type: "image" }> }) {
  const [shown, setShown] = useState(false);
  const safe = safeHttpUrl(item.source);
  return (
    <div className="out-image">
      <Label>image</Label> {item.title && <span className="out-title">{item.title}</span>}
      {item.description && <div className="out-description">{item.description}</div>}
      <div>
        {item.source ? <ExternalLink url={item.source} /> : <span className="muted">no source</span>}
      </div>
      {item.alt_text && <div className="muted">alt: {item.alt_text}</div>}
      {safe &&
        (shown ? (
          <img
            src={safe}
            alt={item.alt_text ?? item.title ?? ""}
            referrerPolicy="no-referrer"
            className="out-image-img"
          />
        ) : (
          <button type="button" onClick={() => setShown(true)}>
            Load image
          </button>
        ))}
      {item.source && !safe && <div className="muted small">Not an http(s) address: not loaded.</div>}
    </div>
  );
}

function SearchHits({ hits }: { hits: SearchHit[] }) {
  if (hits.length === 0) return null;
  return (
    <ol className="search-hits">
      {hits.map((h, i) => (
        <li key={i}>
          {h.url ? (
            <ExternalLink url={h.url}>{h.title ?? h.url}</ExternalLink>
          ) : (
            <span className="out-title">{h.title ?? h.id ?? "(untitled)"}</span>
          )}
          {(h.confidence !== null || h.score !== null) && (
            <span className="muted small">
              {h.confidence !== null ? ` confidence ${h.confidence}` : ""}
              {h.score !== null ? ` score ${h.score}` : ""}
            </span>
          )}
          {h.body && <div className="hit-body">{h.body}</div>}
        </li>
      ))}
    </ol>
  );
}

function CitationView({ citation }: { citation: Citation }) {
  const title = citation.title ?? citation.url ?? "(untitled)";
  return (
    <li className="citation">
      {citation.url ? <ExternalLink url={citation.url}>{title}</ExternalLink> : <span className="out-title">{title}</span>}
      {citation.text && <div className="hit-body">“{citation.text}”</div>}
    </li>
  );
}

/** A phone or activity command: a small labelled chip with its parameters. */
function CommandChip({ name, command, parameters }: { name: string; command: string | null; parameters: JsonValue | null }) {
  return (
    <div className="command">
      <span className="chip chip-command">
        {name}
        {command ? `: ${command}` : ""}
      </span>{" "}
      {parameters !== null && <ParamList params={parameters} />}
    </div>
  );
}

function ParamList({ params }: { params: JsonValue }) {
  if (params && typeof params === "object" && !Array.isArray(params)) {
    const entries = Object.entries(params);
    if (entries.length === 0) return null;
    return (
      <span className="params">
        {entries.map(([k, v]) => (
          <span key={k} className="param mono">
            {k}={jsonText(v)}
          </span>
        ))}
      </span>
    );
  }
  return <span className="params mono">{jsonText(params)}</span>;
}
