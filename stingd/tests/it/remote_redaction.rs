//! Nothing personal leaves for a remote server: the request that reaches it (recorded by a
//! proxy in front of a real llama-server) holds placeholders, and the answer the client gets
//! holds the originals, streamed or not. The model is made to write a placeholder by a grammar
//! (llama-server's `grammar` field, passed through), so the test does not depend on what a small
//! model chooses to say.

use std::time::Duration;

use crate::common::remote::{llama_server, recording_proxy};
use crate::common::{Stingd, model};
use serde_json::{Value, json};
use sting_e2e::Component;
use sting_e2e::env::require_path;

#[tokio::test]
async fn personal_data_leaves_as_placeholders_and_comes_back_in_the_answer() {
    let (_llama, base) = llama_server().await;
    let (proxy, sent) = recording_proxy(base, None).await;
    let far = format!(
        "    - name: far\n      allow_remote: true\n      remote:\n        base_url: {proxy}\n        model: far-model\n"
    );
    let stingd = Stingd::start_full(&require_path(Component::LlamaServer), &[model("bee", ""), far], "", "", &[]).await;

    let question = "Please write to jane.doe@example.org and call +44 20 7946 0958.";
    // The grammar makes the model answer with the placeholder the gateway gave the address.
    let request = |stream: bool| {
        json!({
            "model": "far",
            "messages": [{"role": "user", "content": question}],
            "grammar": "root ::= \"Mail sent to [EMAIL_1], call [PHONE_1] later.\"",
            "max_tokens": 40,
            "temperature": 0,
            "stream": stream,
        })
    };
    let answer = stingd.post("/v1/chat/completions", request(false)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Mail sent to jane.doe@example.org, call +44 20 7946 0958 later."
    );

    let streamed = stingd.post("/v1/chat/completions", request(true)).send().await.unwrap();
    assert_eq!(streamed.status(), 200);
    let text = streamed.text().await.unwrap();
    let content: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(content, "Mail sent to jane.doe@example.org, call +44 20 7946 0958 later.");

    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    for body in &sent {
        assert!(!body.contains("jane.doe@example.org") && !body.contains("7946"), "left the machine: {body}");
        assert!(body.contains("[EMAIL_1]") && body.contains("[PHONE_1]"), "{body}");
    }
    let audit = std::fs::read_to_string(stingd.config_dir().join("logs/remote-requests.jsonl")).unwrap();
    let record: Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(record["redacted"], 2, "the audit record counts what was replaced");
}

#[tokio::test]
async fn a_request_sent_off_the_machine_is_in_the_audit_log_admins_read() {
    let (_llama, base) = llama_server().await;
    let far = format!(
        "    - name: far\n      allow_remote: true\n      remote:\n        base_url: {base}\n        model: far-model\n"
    );
    let site = crate::common::site::Site::start_with_models("", &[model("bee", ""), far]).await;
    let admin = stingd::identity::users::create(&site.pool, "root@example.org", stingd::identity::users::Role::Admin)
        .await
        .unwrap();
    let session = stingd::identity::sessions::create(
        &site.pool,
        admin.id,
        stingd::identity::credential::Aal::Two,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let cookie = format!("{}={session}", stingd::identity::sessions::COOKIE_NAME);
    let body =
        json!({"model": "far", "messages": [{"role": "user", "content": "mail ann@example.org"}], "max_tokens": 2});
    let sent = site.post("/v1/chat/completions", Some(&cookie), body).await;
    assert_eq!(sent.status(), 200);
    let mut events = Value::Null;
    for _ in 0..50 {
        events = site.get("/api/admin/audit", &cookie).await.json().await.unwrap();
        if events.to_string().contains("remote.request") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remote.request")
        .unwrap_or_else(|| panic!("no remote.request in {events}"))
        .clone();
    assert_eq!(event["actor"], admin.id.to_string());
    assert_eq!(event["target"], "far");
    assert_eq!(event["detail"]["redacted"], 1);
    assert_eq!(event["detail"]["destination"], base.as_str());
    assert!(!events.to_string().contains("ann@example.org"), "never the content");
}
