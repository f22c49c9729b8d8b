//! Reading a streamed chat completion (OpenAI's server-sent events, as llama-server and the
//! gateway send them) back into text, the finish reason and token usage. Events may be split
//! anywhere across network chunks; a line is read only once it is complete.

use super::conversations::Usage;

#[derive(Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Finish(String),
    Usage(Usage),
    /// An error event (the model died mid-answer, or the gateway gave up).
    Error(String),
    Done,
}

#[derive(Default)]
pub struct EventReader {
    pending: Vec<u8>,
}

impl EventReader {
    /// The pieces in the complete lines so far.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Piece> {
        self.pending.extend_from_slice(bytes);
        let mut pieces = Vec::new();
        while let Some(end) = memchr::memchr(b'\n', &self.pending) {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if let Some(data) = line.strip_prefix("data:") {
                read_data(data.trim_start(), &mut pieces);
            }
        }
        pieces
    }
}

fn read_data(data: &str, pieces: &mut Vec<Piece>) {
    if data == "[DONE]" {
        pieces.push(Piece::Done);
        return;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(data) else {
        return;
    };
    if let Some(error) = value.get("error") {
        let message = error.get("message").and_then(|m| m.as_str()).unwrap_or("the model failed");
        pieces.push(Piece::Error(message.to_string()));
        return;
    }
    if let Some(choice) = value.get("choices").and_then(|c| c.get(0)) {
        if let Some(text) = choice.pointer("/delta/content").and_then(|t| t.as_str()) {
            if !text.is_empty() {
                pieces.push(Piece::Text(text.to_string()));
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(|r| r.as_str()) {
            pieces.push(Piece::Finish(reason.to_string()));
        }
    }
    if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
        let count = |key: &str| usage.get(key).and_then(|v| v.as_i64()).unwrap_or(0) as i32;
        let (prompt_tokens, completion_tokens) = (count("prompt_tokens"), count("completion_tokens"));
        pieces.push(Piece::Usage(Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Refunds take \"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"14 days [1].\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":7,\"total_tokens\":127}}\n\n",
        "data: [DONE]\n\n"
    );

    fn read_in_pieces(size: usize) -> Vec<Piece> {
        let mut reader = EventReader::default();
        STREAM.as_bytes().chunks(size).flat_map(|chunk| reader.push(chunk)).collect()
    }

    #[test]
    fn a_stream_reads_the_same_however_it_is_cut() {
        let whole = read_in_pieces(STREAM.len());
        assert_eq!(
            whole,
            vec![
                Piece::Text("Refunds take ".into()),
                Piece::Text("14 days [1].".into()),
                Piece::Finish("stop".into()),
                Piece::Usage(Usage { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 }),
                Piece::Done,
            ]
        );
        for size in [1, 2, 3, 7, 16, 61] {
            assert_eq!(read_in_pieces(size), whole, "cut every {size} bytes");
        }
    }

    #[test]
    fn an_error_event_is_reported_and_garbage_ignored() {
        let mut reader = EventReader::default();
        let pieces = reader.push(
            b": keep-alive\r\ndata: not json\r\n\r\ndata: {\"error\":{\"message\":\"the model `bee` stopped mid-answer\"}}\r\n\r\n",
        );
        assert_eq!(pieces, vec![Piece::Error("the model `bee` stopped mid-answer".into())]);
        assert!(reader.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}").is_empty(), "incomplete line");
        assert_eq!(reader.push(b"\n"), vec![Piece::Text("x".into())]);
    }
}
