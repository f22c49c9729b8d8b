//! What Bee sends the model: its persona, the numbered sources, as much of the conversation as
//! fits, and the question, all within the model's window with room left for the answer. Pure, so
//! the trimming rules are tested without a model.
//!
//! Token counts are estimated (a token for every three bytes, and a few per message), which
//! overestimates for English with the tokenizers of current models: trimming errs on the side of
//! fitting, also for remote models whose tokenizer stingd cannot run.

use serde_json::{Value, json};

/// A passage offered to the model, numbered as it will be cited.
#[derive(Clone, Debug)]
pub struct Source {
    pub document_name: String,
    pub heading: String,
    pub text: String,
}

/// One earlier message of the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub from_user: bool,
    pub content: String,
}

/// The room there is: the model's window per request, and what is kept for the answer.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub window: u32,
    pub answer: u32,
}

#[derive(Debug)]
pub struct Prompt {
    /// OpenAI-style chat messages.
    pub messages: Vec<Value>,
    /// How many of the sources (the first ones) made it in.
    pub sources: usize,
    /// How many of the latest turns made it in.
    pub turns: usize,
    pub estimated_tokens: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromptError {
    #[error(
        "the question is too long for the model's window ({needed} tokens with Bee's instructions and the answer's room; the window holds {window}): shorten it"
    )]
    TooLong { needed: u32, window: u32 },
}

/// A safe overestimate of the tokens `text` takes.
pub fn estimate_tokens(text: &str) -> u32 {
    (text.len() as u32).div_ceil(3)
}

/// What each message costs besides its text (role markers, separators).
const PER_MESSAGE: u32 = 8;

fn source_block(number: usize, source: &Source) -> String {
    let place = if source.heading.is_empty() {
        source.document_name.clone()
    } else {
        format!("{} › {}", source.document_name, source.heading)
    };
    format!("\n\n[{number}] {place}\n{}", source.text.trim())
}

/// Builds the prompt. Sources come first in rank order (each whole or not at all), then the
/// latest turns, newest first, as long as they fit; older turns are left out.
pub fn build(
    persona: &str,
    sources: &[Source],
    history: &[Turn],
    question: &str,
    budget: Budget,
) -> Result<Prompt, PromptError> {
    let header = if sources.is_empty() {
        format!("{persona}\n\nNo sources from the Honey Jars match this question.")
    } else {
        format!("{persona}\n\nSources:")
    };
    let mut used = budget.answer + estimate_tokens(&header) + estimate_tokens(question) + 2 * PER_MESSAGE;
    if used > budget.window {
        return Err(PromptError::TooLong { needed: used, window: budget.window });
    }
    let mut system = header;
    let mut included = 0;
    for (i, source) in sources.iter().enumerate() {
        let block = source_block(i + 1, source);
        let cost = estimate_tokens(&block);
        if used + cost > budget.window {
            break;
        }
        used += cost;
        system.push_str(&block);
        included += 1;
    }
    if included == 0 && !sources.is_empty() {
        // Not one source fits: say there are none rather than announce an empty list.
        system = format!("{persona}\n\nNo sources from the Honey Jars fit alongside this question.");
    }
    let mut turns = 0;
    for turn in history.iter().rev() {
        let cost = estimate_tokens(&turn.content) + PER_MESSAGE;
        if used + cost > budget.window {
            break;
        }
        used += cost;
        turns += 1;
    }
    let mut messages = vec![json!({ "role": "system", "content": system })];
    for turn in &history[history.len() - turns..] {
        let role = if turn.from_user { "user" } else { "assistant" };
        messages.push(json!({ "role": role, "content": turn.content }));
    }
    messages.push(json!({ "role": "user", "content": question }));
    Ok(Prompt { messages, sources: included, turns, estimated_tokens: used })
}

/// The source numbers an answer cites (`[2]`, `[1][3]`, `[1, 3]`), each once, in order of first
/// citation, limited to those that exist.
pub fn cited(answer: &str, sources: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let bytes = answer.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let close = answer[i..].find(']').map(|c| i + c);
            if let Some(close) = close.filter(|&c| c - i <= 24) {
                for part in answer[i + 1..close].split(',') {
                    if let Ok(n) = part.trim().parse::<usize>() {
                        if (1..=sources).contains(&n) && !found.contains(&n) {
                            found.push(n);
                        }
                    }
                }
                i = close;
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, bytes: usize) -> Source {
        Source { document_name: name.into(), heading: "Refunds".into(), text: "w".repeat(bytes) }
    }

    fn turn(from_user: bool, text: &str) -> Turn {
        Turn { from_user, content: text.into() }
    }

    #[test]
    fn everything_fits_in_a_large_window_in_order() {
        let history = [turn(true, "first question"), turn(false, "first answer")];
        let prompt = build(
            "You are Bee.",
            &[source("policy.md", 30), source("faq.md", 30)],
            &history,
            "second question",
            Budget { window: 4096, answer: 512 },
        )
        .unwrap();
        assert_eq!((prompt.sources, prompt.turns), (2, 2));
        let roles: Vec<&str> = prompt.messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        let system = prompt.messages[0]["content"].as_str().unwrap();
        assert!(system.starts_with("You are Bee."));
        assert!(system.contains("[1] policy.md › Refunds") && system.contains("[2] faq.md › Refunds"), "{system}");
        assert_eq!(prompt.messages[3]["content"], "second question");
        assert!(prompt.estimated_tokens <= 4096);
    }

    #[test]
    fn the_oldest_turns_go_first_and_sources_are_kept_before_history() {
        let history: Vec<Turn> = (0..20).map(|i| turn(i % 2 == 0, &format!("{i} {}", "x".repeat(300)))).collect();
        let budget = Budget { window: 1024, answer: 256 };
        let prompt = build("Bee", &[source("a.md", 600)], &history, "why?", budget).unwrap();
        assert_eq!(prompt.sources, 1);
        assert!(prompt.turns > 0 && prompt.turns < 20, "{}", prompt.turns);
        // The newest turn is in, right before the question.
        let last_turn = &prompt.messages[prompt.messages.len() - 2];
        assert!(last_turn["content"].as_str().unwrap().starts_with("19 "));
        assert!(prompt.estimated_tokens <= budget.window);
    }

    #[test]
    fn sources_that_do_not_fit_are_left_out_whole_and_lower_ranked_first() {
        let sources = [source("a.md", 900), source("b.md", 3000), source("c.md", 90)];
        let prompt = build("Bee", &sources, &[], "q", Budget { window: 1024, answer: 256 }).unwrap();
        // b does not fit, and what follows it is not promoted past it: citations stay in rank order.
        assert_eq!(prompt.sources, 1);
        let system = prompt.messages[0]["content"].as_str().unwrap();
        assert!(system.contains("[1] a.md") && !system.contains("b.md") && !system.contains("c.md"));
    }

    #[test]
    fn a_question_larger_than_the_window_is_refused_with_the_numbers() {
        let question = "q".repeat(3000);
        let error = build("Bee", &[], &[], &question, Budget { window: 512, answer: 128 }).unwrap_err();
        let PromptError::TooLong { needed, window } = error;
        assert_eq!(window, 512);
        assert!(needed > 1000, "{needed}");
    }

    #[test]
    fn no_sources_is_said_plainly() {
        let prompt = build("Bee", &[], &[], "q", Budget { window: 1024, answer: 128 }).unwrap();
        assert!(prompt.messages[0]["content"].as_str().unwrap().contains("No sources"));
        let prompt = build("Bee", &[source("huge.md", 9000)], &[], "q", Budget { window: 1024, answer: 128 }).unwrap();
        assert_eq!(prompt.sources, 0);
        assert!(prompt.messages[0]["content"].as_str().unwrap().contains("No sources"));
    }

    #[test]
    fn citations_are_read_from_the_answer() {
        assert_eq!(cited("Refunds take 14 days [2]. See also [1][2] and [1, 3].", 3), vec![2, 1, 3]);
        assert_eq!(cited("[7] is not a source, [0] neither, [a] nor [ 2 ]", 3), vec![2]);
        assert!(cited("no brackets at all", 3).is_empty());
        assert!(cited("[unclosed 1", 3).is_empty());
    }
}
