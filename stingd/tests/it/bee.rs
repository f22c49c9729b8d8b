//! Bee with a real OpenBao, PostgreSQL, llama-server and Gemma: answers stream with citations of
//! the passages the asker may read (and none of what they may not), conversations are stored
//! sealed, keep their history, export and delete; with a remote model the question leaves as
//! placeholders and the answer comes back with the originals.

use crate::common::jars_world::*;
use crate::common::model;
use crate::common::remote::{llama_server, recording_proxy};
use serde_json::{Value, json};
use stingd::identity::users::Role;

const GUIDE: &str = "# Hive care\n\nInspect the frames weekly. Propolis seals small gaps in the hive; bees make it from tree resin.\n\n## Winter\n\nLeave enough honey for the colony: twenty kilograms for a strong hive.\n";

/// Bee with a window of 2048 tokens and short answers, so a test takes seconds.
fn bee_model() -> String {
    model("bee", "context: 2048\nparallel: 1\nthreads: 2")
}

const BEE: &str = "bee:\n  model: bee\n  answer_tokens: 48\n  sources: 3\n";

async fn post_json(stingd: &crate::common::Stingd, cookie: &str, path: &str, body: Value) -> reqwest::Response {
    stingd
        .http
        .post(format!("{}{path}", stingd.base))
        .header("cookie", cookie)
        .header("origin", origin(stingd))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn new_conversation(stingd: &crate::common::Stingd, cookie: &str, body: Value) -> String {
    let response = post_json(stingd, cookie, "/api/conversations", body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// The events of a streamed answer, as (event, data).
async fn ask_streamed(
    stingd: &crate::common::Stingd,
    cookie: &str,
    conversation: &str,
    question: &str,
) -> Vec<(String, Value)> {
    let response =
        post_json(stingd, cookie, &format!("/api/conversations/{conversation}/messages"), json!({"content": question}))
            .await;
    let status = response.status();
    if status != 200 {
        panic!("asking failed: {status} {}", response.text().await.unwrap());
    }
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut name = String::new();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        if !name.is_empty() {
            events.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    events
}

fn answer_of(events: &[(String, Value)]) -> String {
    events.iter().filter(|(n, _)| n == "delta").map(|(_, d)| d["content"].as_str().unwrap()).collect()
}

fn done_of(events: &[(String, Value)]) -> Value {
    events.iter().find(|(n, _)| n == "done").unwrap_or_else(|| panic!("no done event in {events:?}")).1.clone()
}

#[tokio::test]
async fn bee_answers_from_what_the_asker_may_read_with_citations_and_keeps_it_sealed() {
    let world = world().await;
    let (stingd, _) = stingd_custom(&world, "flag", &[bee_model()], BEE).await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let bob = signed_in(&world, "bob@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Beekeeping").await;
    let (status, doc) = upload(&stingd, &ann, &jar, "guide.md", GUIDE.as_bytes()).await;
    assert_eq!(status, 201, "{doc}");

    let conversation = new_conversation(&stingd, &ann, json!({"jars": [jar]})).await;
    let question = "What do bees make propolis from?";
    let events = ask_streamed(&stingd, &ann, &conversation, question).await;
    assert_eq!(events[0].0, "sources", "sources come first: {events:?}");
    let sources = events[0].1["sources"].as_array().unwrap().clone();
    assert!(!sources.is_empty(), "the guide answers this: {events:?}");
    assert_eq!(sources[0]["document"], doc["id"]);
    assert_eq!(sources[0]["jar"], jar.as_str());
    assert_eq!(sources[0]["document_name"], "guide.md");
    assert_eq!(sources[0]["heading"], "Hive care");
    assert!(sources[0]["chunk"].is_number() && sources[0]["number"] == 1);
    let answer = answer_of(&events);
    assert!(!answer.is_empty(), "the model said something: {events:?}");
    let done = done_of(&events);
    let usage = &done["usage"];
    let first_prompt = usage["prompt_tokens"].as_i64().unwrap();
    assert!(first_prompt > 20 && usage["completion_tokens"].as_i64().unwrap() > 0, "{done}");
    assert_eq!(done["message"], 1, "the answer is the conversation's second message: {done}");

    // Stored: the question and the answer with its sources; readable back, sealed at rest.
    let stored: Value = stingd
        .http
        .get(format!("{}/api/conversations/{conversation}", stingd.base))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{stored}");
    assert_eq!((messages[0]["role"].as_str(), messages[0]["content"].as_str()), (Some("user"), Some(question)));
    assert_eq!(messages[1]["content"].as_str(), Some(answer.as_str()));
    assert_eq!(messages[1]["sources"][0]["document"], doc["id"]);
    assert_eq!(stored["conversation"]["title"], question, "named after its first question");
    let at_rest: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT sealed FROM messages UNION ALL SELECT title FROM conversations")
            .fetch_all(&world.pool)
            .await
            .unwrap();
    for (bytes,) in &at_rest {
        assert!(!bytes.windows(8).any(|w| w == b"propolis" || w == b"guide.md"), "plaintext at rest");
    }

    // A follow-up carries the history: the prompt grows by at least the first exchange.
    let events = ask_streamed(&stingd, &ann, &conversation, "And in winter?").await;
    let second_prompt = done_of(&events)["usage"]["prompt_tokens"].as_i64().unwrap();
    assert!(second_prompt > first_prompt, "history in the prompt: {second_prompt} after {first_prompt}");

    // One JSON answer when asked for.
    let response = post_json(
        &stingd,
        &ann,
        &format!("/api/conversations/{conversation}/messages"),
        json!({"content": "How much honey for winter?", "stream": false}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let whole: Value = response.json().await.unwrap();
    assert!(whole["content"].is_string() && whole["sources"].is_array() && whole["usage"].is_object(), "{whole}");
    assert_eq!(whole["message"], 5);

    // Answering again replaces the last answer, once the new one is stored; the question stays.
    let again = post_json(
        &stingd,
        &ann,
        &format!("/api/conversations/{conversation}/messages"),
        json!({"regenerate": true, "stream": false}),
    )
    .await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["message"], 5, "the same place in the conversation: {again}");
    let (_, stored) =
        send(&stingd, reqwest::Method::GET, &format!("/api/conversations/{conversation}"), &ann, None).await;
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 6, "{stored}");
    assert_eq!(messages[4]["content"], "How much honey for winter?");
    assert_eq!(messages[5]["content"], again["content"]);
    let bad = post_json(
        &stingd,
        &ann,
        &format!("/api/conversations/{conversation}/messages"),
        json!({"regenerate": true, "content": "something else"}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    let empty = new_conversation(&stingd, &ann, json!({})).await;
    let nothing =
        post_json(&stingd, &ann, &format!("/api/conversations/{empty}/messages"), json!({"regenerate": true})).await;
    assert_eq!(nothing.status(), 409);
    assert_eq!(nothing.json::<Value>().await.unwrap()["error"]["code"], "nothing_to_regenerate");

    // Bob cannot read the jar: asking about it over every jar he can read cites nothing.
    let bobs = new_conversation(&stingd, &bob, json!({})).await;
    let events = ask_streamed(&stingd, &bob, &bobs, question).await;
    assert_eq!(events[0].1["sources"], json!([]), "nothing of a jar bob cannot read: {events:?}");
    // Nor may he name it, or see ann's conversation.
    let named = post_json(&stingd, &bob, "/api/conversations", json!({"jars": [jar]})).await;
    assert_eq!(named.status(), 404);
    assert_eq!(named.json::<Value>().await.unwrap()["error"]["code"], "jar_not_found");
    let (status, body) =
        send(&stingd, reqwest::Method::GET, &format!("/api/conversations/{conversation}"), &bob, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("conversation_not_found")));
    let asked =
        post_json(&stingd, &bob, &format!("/api/conversations/{conversation}/messages"), json!({"content": "hi"}))
            .await;
    assert_eq!(asked.status(), 404);

    // Export, both ways.
    let markdown = stingd
        .http
        .get(format!("{}/api/conversations/{conversation}/export?format=markdown", stingd.base))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap();
    assert!(markdown.headers()["content-disposition"].to_str().unwrap().contains(".md"));
    let markdown = markdown.text().await.unwrap();
    assert!(
        markdown.contains(&format!("## You\n\n{question}")) && markdown.contains("1. guide.md › Hive care"),
        "{markdown}"
    );
    let (status, exported) =
        send(&stingd, reqwest::Method::GET, &format!("/api/conversations/{conversation}/export"), &ann, None).await;
    assert_eq!((status, exported["messages"].as_array().unwrap().len()), (200, 6));

    // Delete: gone, with its messages.
    let (status, _) =
        send(&stingd, reqwest::Method::DELETE, &format!("/api/conversations/{conversation}"), &ann, None).await;
    assert_eq!(status, 204);
    let (status, _) =
        send(&stingd, reqwest::Method::GET, &format!("/api/conversations/{conversation}"), &ann, None).await;
    assert_eq!(status, 404);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE conversation_id = $1::uuid")
        .bind(&conversation)
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn bad_questions_and_conversations_get_clear_errors_and_change_nothing() {
    let world = world().await;
    let (stingd, _) = stingd_custom(&world, "flag", &[bee_model()], BEE).await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let conversation = new_conversation(&stingd, &ann, json!({"title": "Scratch"})).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let cases = [
        (json!({"content": "   "}), 400, "invalid_question"),
        (json!({"content": "x ".repeat(4000)}), 400, "question_too_long"),
        (json!({"question": "wrong field"}), 422, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let response = post_json(&stingd, &ann, &path, body.clone()).await;
        assert_eq!(response.status(), status, "{code}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    let unknown_model = new_conversation(&stingd, &ann, json!({"model": "no-such-model"})).await;
    let response =
        post_json(&stingd, &ann, &format!("/api/conversations/{unknown_model}/messages"), json!({"content": "hi"}))
            .await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "model_not_found");
    let bad_title = post_json(&stingd, &ann, "/api/conversations", json!({"title": "a\u{7}b"})).await;
    assert_eq!(bad_title.status(), 400);
    let missing = format!("/api/conversations/{}/messages", uuid::Uuid::new_v4());
    assert_eq!(post_json(&stingd, &ann, &missing, json!({"content": "hi"})).await.status(), 404);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&world.pool).await.unwrap();
    assert_eq!(stored, 0, "no refused question was kept");
    let (status, listed) = send(&stingd, reqwest::Method::GET, "/api/conversations", &ann, None).await;
    assert_eq!(status, 200);
    let titles: Vec<&str> =
        listed["conversations"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Scratch"), "{listed}");

    // Vault sealed: conversations fail closed, even with their keys still in memory.
    sting_vault::seal::seal(&world.root).await.unwrap();
    let (status, body) =
        send(&stingd, reqwest::Method::GET, &format!("/api/conversations/{conversation}"), &ann, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("vault_unavailable")), "{body}");
    let (status, _) = send(&stingd, reqwest::Method::GET, "/api/conversations", &ann, None).await;
    assert_eq!(status, 503);
    let asked = post_json(&stingd, &ann, &path, json!({"content": "still there?"})).await;
    assert_eq!(asked.status(), 503);
}

#[tokio::test]
async fn with_a_remote_model_the_question_leaves_redacted_and_the_answer_comes_back_whole() {
    let (_llama, base) = llama_server().await;
    // The remote model is made to answer with the placeholder it was given.
    let (proxy, sent) = recording_proxy(base, Some("root ::= \"I will write to [EMAIL_1] today.\"")).await;
    let far = format!(
        "    - name: far\n      context: 2048\n      allow_remote: true\n      remote:\n        base_url: {proxy}\n        model: far-model\n"
    );
    let world = world().await;
    let (stingd, _) = stingd_custom(&world, "flag", &[bee_model(), far], BEE).await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let conversation = new_conversation(&stingd, &ann, json!({"model": "far"})).await;
    let events =
        ask_streamed(&stingd, &ann, &conversation, "Draft a note to jane.doe@example.org about the hives").await;
    assert_eq!(answer_of(&events), "I will write to jane.doe@example.org today.", "{events:?}");
    let done = done_of(&events);
    assert_eq!(done["pii"], json!(["email"]), "flagged under pii.chat: flag: {done}");
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert!(
        !sent[0].contains("jane.doe@example.org") && sent[0].contains("[EMAIL_1]"),
        "left the machine: {}",
        sent[0]
    );
    let stored: Value = stingd
        .http
        .get(format!("{}/api/conversations/{conversation}", stingd.base))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["messages"][0]["pii"], json!(["email"]));
    assert_eq!(stored["messages"][1]["content"], "I will write to jane.doe@example.org today.");
}
