//! Nothing personal leaves for a remote server: before a request goes to a model off this
//! machine (for Bee and for direct gateway clients alike), every text of the request (messages,
//! tool calls and descriptions, prompts, inputs, any string but names and data) is scanned and
//! what is found is replaced by placeholders (`[EMAIL_1]`); the answer is restored
//! before the client sees it, streamed answers included, where a placeholder may be split
//! across chunks (only what could be the start of one is held back).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sting_pii::{Placeholders, Restorer, Scanner, redact};

/// Which field of a request holds the text, and which field of the answer.
#[derive(Clone, Copy)]
pub enum Shape {
    /// `messages[].content` in, `choices[].message.content` / `delta.content` out.
    Chat,
    /// `prompt` in, `choices[].text` out.
    Completion,
    /// `input` in; the answer is vectors, nothing to restore.
    Embedding,
}

/// Where the OpenAI request schemas keep strings that are names of things the API defines (a
/// model, a role, a type, a call's id) or binary data (audio, files, base64), not text anyone
/// wrote: changing them would break the request, and they carry nothing a person typed. A path
/// is the fields from the request's root, `[]` standing for any element of an array; only
/// these exact places are spared, so `id` or `data` inside `metadata` or a tool's schema is
/// text like any other.
const NOT_TEXT: &[&str] = &[
    "model",
    "messages.[].role",
    "messages.[].tool_call_id",
    "messages.[].tool_calls.[].id",
    "messages.[].tool_calls.[].type",
    "messages.[].audio.id",
    "messages.[].content.[].type",
    "messages.[].content.[].image_url.detail",
    "messages.[].content.[].input_audio.data",
    "messages.[].content.[].input_audio.format",
    "messages.[].content.[].file.file_data",
    "messages.[].content.[].file.file_id",
    "tools.[].type",
    "tool_choice",
    "tool_choice.type",
    "response_format.type",
    "prediction.type",
    "prediction.content.[].type",
    "reasoning_effort",
    "service_tier",
    "encoding_format",
    "modalities.[]",
    "audio.voice",
    "audio.format",
];

/// An image given inline (`data:image/png;base64,...`) is data; an image's web address, or any
/// other `data:` URL, is text, scanned like the rest (it can carry a name or an address).
const IMAGE_URL: &str = "messages.[].content.[].image_url.url";

/// Redacts the request in place; returns the placeholders given out. Every string is text that
/// could leave the machine, wherever the OpenAI schema puts it (messages and their parts, tool
/// call arguments, tool and function descriptions and parameter schemas, `prompt`, `suffix`,
/// `input`, `stop`, `user`, `metadata`, `prediction`, ...), except at the places [`NOT_TEXT`]
/// names. So a field added to the schema later is redacted before anyone thinks of it. `shape`
/// matters only to the answer.
pub fn redact_request(scanner: &Scanner, _shape: Shape, body: &mut Value) -> Placeholders {
    let mut placeholders = Placeholders::default();
    redact_value(scanner, body, &mut String::new(), &mut placeholders);
    placeholders
}

/// `path` is where `value` is (see [`NOT_TEXT`]), kept in one buffer as the walk goes down.
fn redact_value(scanner: &Scanner, value: &mut Value, path: &mut String, placeholders: &mut Placeholders) {
    let mut descend = |path: &mut String, segment: &str, value: &mut Value| {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(segment);
        redact_value(scanner, value, path, placeholders);
        path.truncate(len);
    };
    match value {
        Value::String(s) => {
            let inline_image =
                s.starts_with("data:image/") && s.split_once(',').is_some_and(|(head, _)| head.ends_with(";base64"));
            let spared = NOT_TEXT.contains(&path.as_str()) || (path == IMAGE_URL && inline_image);
            if !spared {
                let findings = scanner.scan(s);
                if !findings.is_empty() {
                    *s = redact(s, &findings, placeholders);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| descend(path, "[]", item)),
        Value::Object(fields) => fields.iter_mut().for_each(|(name, field)| descend(path, name, field)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The text field of one answer choice, for this shape.
fn choice_text(shape: Shape, choice: &mut Value, streamed: bool) -> Option<&mut Value> {
    match (shape, streamed) {
        (Shape::Chat, false) => choice.get_mut("message")?.get_mut("content"),
        (Shape::Chat, true) => choice.get_mut("delta")?.get_mut("content"),
        (Shape::Completion, _) => choice.get_mut("text"),
        (Shape::Embedding, _) => None,
    }
}

/// A whole (not streamed) answer with its placeholders restored; unparseable answers (errors
/// in another shape) pass unchanged.
pub fn restore_answer(placeholders: &Placeholders, shape: Shape, body: &[u8]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else { return body.to_vec() };
    for choice in value.get_mut("choices").and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(Value::String(text)) = choice_text(shape, choice, false) {
            *text = placeholders.restore(text);
        }
    }
    serde_json::to_vec(&value).unwrap_or_else(|_| body.to_vec())
}

/// Restores a streamed (server-sent events) answer, event by event, choice by choice.
pub struct SseRestorer {
    placeholders: Arc<Placeholders>,
    shape: Shape,
    line: Vec<u8>,
    choices: HashMap<u64, Restorer<Arc<Placeholders>>>,
    /// The last event seen, as the frame for flushing held-back text at the end.
    last: Option<Value>,
}

impl SseRestorer {
    pub fn new(placeholders: Arc<Placeholders>, shape: Shape) -> Self {
        Self { placeholders, shape, line: Vec::new(), choices: HashMap::new(), last: None }
    }

    /// The next bytes from upstream; returns the bytes to send on (whole lines only).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            self.line.push(b);
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.line_out(&line, &mut out);
            }
        }
        out
    }

    /// The end of the stream: a last partial line and any held-back text.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.line_out(&line, &mut out);
        }
        self.flush_held(&mut out);
        out
    }

    fn line_out(&mut self, line: &[u8], out: &mut Vec<u8>) {
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        let Some(data) = trimmed.strip_prefix(b"data: ") else {
            out.extend_from_slice(line);
            return;
        };
        if data == b"[DONE]" {
            self.flush_held(out);
            out.extend_from_slice(line);
            return;
        }
        let Ok(mut event) = serde_json::from_slice::<Value>(data) else {
            out.extend_from_slice(line);
            return;
        };
        for choice in event.get_mut("choices").and_then(Value::as_array_mut).into_iter().flatten() {
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            if let Some(Value::String(text)) = choice_text(self.shape, choice, true) {
                let restorer = self.choices.entry(index).or_insert_with(|| Restorer::new(self.placeholders.clone()));
                *text = restorer.push(text);
            }
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&serde_json::to_vec(&event).unwrap_or_default());
        out.extend_from_slice(b"\n");
        self.last = Some(event);
    }

    /// Text held back at the end (a `[` that never became a placeholder) goes out as it is.
    fn flush_held(&mut self, out: &mut Vec<u8>) {
        let mut indices: Vec<u64> = self.choices.keys().copied().collect();
        indices.sort_unstable();
        for index in indices {
            let held = self.choices.get_mut(&index).map(|r| r.finish()).unwrap_or_default();
            if held.is_empty() {
                continue;
            }
            let mut event = self.last.clone().unwrap_or_else(|| serde_json::json!({}));
            let choice = match self.shape {
                Shape::Chat => {
                    serde_json::json!({ "index": index, "delta": { "content": held }, "finish_reason": null })
                }
                _ => serde_json::json!({ "index": index, "text": held, "finish_reason": null }),
            };
            event["choices"] = Value::Array(vec![choice]);
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&serde_json::to_vec(&event).unwrap_or_default());
            out.extend_from_slice(b"\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_messages_leave_redacted_and_the_answer_comes_back_whole() {
        let scanner = Scanner::all();
        let mut body = json!({
            "model": "far",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Email jane@example.org about card 4111111111111111"}]},
                {"role": "user", "content": "and cc jane@example.org"}
            ]
        });
        let placeholders = redact_request(&scanner, Shape::Chat, &mut body);
        let sent = body.to_string();
        assert!(!sent.contains("jane@example.org") && !sent.contains("4111111111111111"), "{sent}");
        assert!(sent.contains("[EMAIL_1]") && sent.contains("[CREDIT_CARD_1]"));
        let answer =
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Done: wrote [EMAIL_1]."}}]});
        let restored: Value =
            serde_json::from_slice(&restore_answer(&placeholders, Shape::Chat, answer.to_string().as_bytes())).unwrap();
        assert_eq!(restored["choices"][0]["message"]["content"], "Done: wrote jane@example.org.");
    }

    /// A request with personal data in every text field of OpenAI's chat, completion and
    /// embedding request schemas (and in a field no schema has yet).
    #[test]
    fn every_text_field_of_the_request_schema_leaves_redacted() {
        let scanner = Scanner::all();
        let pii = "write to jane@example.org";
        let mut body = json!({
            "model": "far",
            "messages": [
                {"role": "system", "content": pii, "name": pii},
                {"role": "developer", "content": [{"type": "text", "text": pii}]},
                {"role": "user", "content": [
                    {"type": "text", "text": pii},
                    {"type": "image_url", "image_url": {"url": "https://example.org/a.png", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": format!("https://example.org/a.png?for={pii}")}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": format!("data:text/plain,{pii}")}}
                ]},
                {"role": "assistant", "content": pii, "refusal": pii,
                 "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "send", "arguments": format!("{{\"to\": \"{pii}\"}}")}}],
                 "function_call": {"name": "send", "arguments": pii},
                 "audio": {"id": "audio_1"}},
                {"role": "tool", "tool_call_id": "call_1", "content": pii},
                {"role": "function", "name": "send", "content": pii}
            ],
            "tools": [{"type": "function", "function": {
                "name": "send", "description": pii,
                "parameters": {"type": "object", "description": pii, "properties": {"to": {"type": "string", "description": pii, "enum": [pii]}}}
            }}],
            "functions": [{"name": "send", "description": pii, "parameters": {"type": "object"}}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "description": pii, "schema": {"description": pii}}},
            "prediction": {"type": "content", "content": pii},
            "stop": [pii, pii],
            "user": "jane@example.org",
            "metadata": {"note": pii, "id": pii, "data": pii, "url": pii},
            "prompt": [pii, pii],
            "suffix": pii,
            "input": pii,
            "instructions": pii,
            "a_field_added_later": {"deep": [pii], "type": pii, "role": pii}
        });
        let placeholders = redact_request(&scanner, Shape::Chat, &mut body);
        let sent = body.to_string();
        assert!(!sent.contains("jane@example.org"), "{sent}");
        assert_eq!(sent.matches("[EMAIL_1]").count(), 35, "every one of the texts above: {sent}");
        assert_eq!(placeholders.restore("[EMAIL_1]"), "jane@example.org");
        // What is not text is left as the API needs it.
        assert_eq!(body["messages"][2]["content"][1]["image_url"]["url"], "https://example.org/a.png");
        assert_eq!(body["messages"][2]["content"][3]["image_url"]["url"], "data:image/png;base64,iVBORw0KGgo=");
        assert_eq!(body["messages"][4]["tool_call_id"], "call_1");
        assert_eq!((body["model"].as_str(), body["messages"][0]["role"].as_str()), (Some("far"), Some("system")));
        let arguments: Value =
            serde_json::from_str(body["messages"][3]["tool_calls"][0]["function"]["arguments"].as_str().unwrap())
                .unwrap();
        assert_eq!(arguments["to"], "write to [EMAIL_1]", "the arguments stay JSON");
    }

    #[test]
    fn a_streamed_answer_is_restored_whatever_the_chunking() {
        let scanner = Scanner::all();
        let mut body = json!({"prompt": "Call +44 20 7946 0958"});
        let placeholders = Arc::new(redact_request(&scanner, Shape::Completion, &mut body));
        assert_eq!(body["prompt"], "Call [PHONE_1]");
        let events = ["I will call ", "[PHO", "NE_1] at ", "noon [", "sic]"]
            .iter()
            .map(|t| format!("data: {}\n\n", json!({"choices": [{"index": 0, "text": t}]})))
            .collect::<String>()
            + "data: [DONE]\n\n";
        let expected = "I will call +44 20 7946 0958 at noon [sic]";
        for cut in [1usize, 3, 7, 64, events.len()] {
            let mut restorer = SseRestorer::new(placeholders.clone(), Shape::Completion);
            let mut out = Vec::new();
            for piece in events.as_bytes().chunks(cut) {
                out.extend(restorer.push(piece));
            }
            out.extend(restorer.finish());
            let text: String = String::from_utf8(out)
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter(|d| *d != "[DONE]")
                .map(|d| serde_json::from_str::<Value>(d).unwrap()["choices"][0]["text"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(text, expected, "chunks of {cut} bytes");
        }
    }
}
