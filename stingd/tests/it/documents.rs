//! Documents in Honey Jars with a real OpenBao, PostgreSQL and stingd: uploads sealed with their
//! own data keys (no plaintext at rest), indexed and searchable only by those who may read the
//! jar, the upload PII policy (flag holds for a moderator, redact keeps no personal data, block
//! refuses), bad files refused cleanly, and a sealed Vault failing closed.

use crate::common::jars_world::*;
use serde_json::{Value, json};
use sting_vault::seal;
use stingd::identity::users::Role;

const GUIDE: &str = "# Hive care\n\nInspect the frames weekly. Propolis seals small gaps in the hive.\n\n## Winter\n\nLeave enough honey for the colony.\n";

#[tokio::test]
async fn uploads_are_sealed_indexed_and_found_only_by_readers() {
    let world = world().await;
    let stingd = stingd(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let bob = signed_in(&world, "bob@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Beekeeping").await;

    let (status, stored) = upload(&stingd, &ann, &jar, "guide.md", GUIDE.as_bytes()).await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!((stored["status"].as_str(), stored["type"].as_str()), (Some("ready"), Some("markdown")));
    assert!(stored["chunks"].as_u64().unwrap() >= 2, "headings start chunks: {stored}");

    // Nothing readable at rest but the index's words.
    let sealed: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT content FROM documents UNION ALL SELECT sealed FROM chunks")
        .fetch_all(&world.pool)
        .await
        .unwrap();
    for (bytes,) in &sealed {
        assert!(!bytes.windows(8).any(|w| w == b"Propolis" || w == b"colony. "), "plaintext at rest");
    }

    let hits = search(&stingd, &ann, "propolis").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["document_name"], "guide.md");
    assert_eq!(hits[0]["heading"], "Hive care");
    assert!(hits[0]["snippet"].as_str().unwrap().contains("Propolis seals"));
    assert!(search(&stingd, &bob, "propolis").await.is_empty(), "bob cannot read the jar");
    assert!(search(&stingd, &ann, "spaceship").await.is_empty(), "nothing unrelated passes");

    let shares = serde_json::to_vec(&json!({"shares": [{"email": "bob@example.org", "permission": "read"}]})).unwrap();
    let response = stingd
        .http
        .put(format!("{}/api/jars/{jar}/shares", stingd.base))
        .header("cookie", &ann)
        .header("origin", origin(&stingd))
        .header("content-type", "application/json")
        .body(shares)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(search(&stingd, &bob, "winter honey").await.len(), 1, "shared: bob finds it");
    let id = stored["id"].as_str().unwrap();
    let content = stingd
        .http
        .get(format!("{}/api/jars/{jar}/documents/{id}/content", stingd.base))
        .header("cookie", &bob)
        .send()
        .await
        .unwrap();
    // Someone's upload is saved, never rendered on the origin the pages sign in on.
    assert_eq!(content.headers()["content-disposition"], "attachment");
    assert_eq!(content.headers()["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(content.text().await.unwrap(), GUIDE, "the stored document opens back to the upload");
    let doc_path = format!("/api/jars/{jar}/documents/{id}");
    assert_eq!(send(&stingd, reqwest::Method::DELETE, &doc_path, &bob, None).await.0, 403, "bob may only read");

    // Personal data under `flag`: held, not searchable, until a moderator approves it.
    let letter = "# Letter\n\nPlease reply to nectar.keeper@example.org about the queen order.\n";
    let (status, held) = upload(&stingd, &ann, &jar, "letter.md", letter.as_bytes()).await;
    assert_eq!((status, held["status"].as_str()), (201, Some("held")), "{held}");
    assert_eq!(held["pii"]["email"], 1);
    assert!(search(&stingd, &ann, "queen order").await.is_empty(), "held documents are not searchable");
    let moderator = signed_in(&world, "mod@example.org", Role::Moderator).await;
    let approve = format!("/api/jars/{jar}/documents/{}/approve", held["id"].as_str().unwrap());
    assert_eq!(send(&stingd, reqwest::Method::POST, &approve, &ann, None).await.0, 403, "only moderators approve");
    assert_eq!(send(&stingd, reqwest::Method::POST, &approve, &moderator, None).await.0, 204);
    assert_eq!(search(&stingd, &ann, "queen order").await.len(), 1);
    let pii: Vec<(String, i32, i32)> =
        sqlx::query_as("SELECT kind, start_offset, end_offset FROM document_pii").fetch_all(&world.pool).await.unwrap();
    assert_eq!(
        pii,
        vec![("email".to_string(), letter.find("nectar").unwrap() as i32, letter.find(" about").unwrap() as i32)]
    );

    // Deleting a document takes its chunks out of search.
    let (status, extra) = upload(&stingd, &ann, &jar, "drones.md", b"# Drones\n\nDrones leave in autumn.\n").await;
    assert_eq!(status, 201);
    assert_eq!(search(&stingd, &ann, "autumn").await.len(), 1);
    let extra_path = format!("/api/jars/{jar}/documents/{}", extra["id"].as_str().unwrap());
    assert_eq!(send(&stingd, reqwest::Method::DELETE, &extra_path, &ann, None).await.0, 204);
    assert!(search(&stingd, &ann, "autumn").await.is_empty());
    assert_eq!(send(&stingd, reqwest::Method::DELETE, &extra_path, &ann, None).await.0, 404);

    // Bad files: refused with what is wrong, and nothing half-stored.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM documents").fetch_one(&world.pool).await.unwrap();
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        ("report.pdf", b"this is not a PDF".to_vec(), 415, "unsupported_document"),
        ("empty.txt", Vec::new(), 415, "unsupported_document"),
        ("broken.pdf", b"%PDF-1.4\nnot really\n".to_vec(), 422, "unreadable_document"),
        ("huge.txt", vec![b'a'; 70 * 1024], 413, "document_too_large"),
    ];
    for (name, bytes, status, code) in cases {
        let (got, body) = upload(&stingd, &ann, &jar, name, &bytes).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{name}: {body}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM documents").fetch_one(&world.pool).await.unwrap();
    assert_eq!(before, after);
    let leftovers = std::fs::read_dir(world.files.path().join("uploads")).unwrap().count();
    assert_eq!(leftovers, 0, "no temporary upload is left behind");

    // Vault sealed: storing and opening fail closed.
    seal::seal(&world.root).await.unwrap();
    let (status, body) = upload(&stingd, &ann, &jar, "more.md", b"# More\n\nBees.\n").await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("vault_unavailable")), "{body}");
    let (status, _) = send(&stingd, reqwest::Method::GET, "/api/search?q=propolis", &ann, None).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn redact_keeps_no_personal_data_and_block_refuses_it() {
    let world = world().await;
    let letter = "# Order\n\nCall +44 20 7946 0958 or write to keeper@example.org for the swarm.\n";

    let redacting = stingd(&world, "redact").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&redacting, &ann, "Orders").await;
    let (status, stored) = upload(&redacting, &ann, &jar, "order.md", letter.as_bytes()).await;
    assert_eq!((status, stored["status"].as_str(), stored["redacted"].as_bool()), (201, Some("ready"), Some(true)));
    let hits = search(&redacting, &ann, "swarm").await;
    let snippet = hits[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("[EMAIL_1]") && !snippet.contains("keeper@"), "{snippet}");
    assert!(search(&redacting, &ann, "keeper").await.is_empty(), "the index has no trace of it");
    let words: Vec<String> = sqlx::query_scalar("SELECT tsv::text FROM chunks").fetch_all(&world.pool).await.unwrap();
    assert!(words.iter().all(|w| !w.contains("keeper") && !w.contains("7946")), "{words:?}");
    drop(redacting);

    let blocking = stingd(&world, "block").await;
    let (status, body) = upload(&blocking, &ann, &jar, "order2.md", letter.as_bytes()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("pii_blocked")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("email") && message.contains("phone") && !message.contains("keeper"), "{message}");
    let (status, _) = upload(&blocking, &ann, &jar, "clean.md", b"# Swarm\n\nNo one to call.\n").await;
    assert_eq!(status, 201, "clean documents pass");
}

#[tokio::test]
async fn after_the_key_is_rotated_rewrap_keeps_every_document_and_conversation_readable() {
    let world = world().await;
    let (stingd, env) = stingd_with_env(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Keys").await;
    let (status, stored) = upload(&stingd, &ann, &jar, "guide.md", GUIDE.as_bytes()).await;
    assert_eq!(status, 201);
    let conversation = stingd
        .http
        .post(format!("{}/api/conversations", stingd.base))
        .header("cookie", &ann)
        .header("origin", origin(&stingd))
        .json(&json!({"title": "Key notes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(conversation.status(), 201);
    let conversation = conversation.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let wrapped = || async {
        sqlx::query_scalar::<_, String>("SELECT wrapped_key FROM documents").fetch_one(&world.pool).await.unwrap()
    };
    assert!(wrapped().await.starts_with("vault:v1:"));
    // A TOTP secret, sealed by the transit key itself.
    let ann_id = users_id(&world, "ann@example.org").await;
    let enrolment =
        stingd::identity::factors::enrol_totp(&world.pool, &world.root, ann_id, "ann@example.org").await.unwrap();

    sting_vault::transit::rotate(&world.root, "stingd").await.unwrap();
    let rewrap = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"));
        command.args(["admin", "rewrap", "--config"]).arg(stingd.config_dir().join("config.yml"));
        for (key, value) in &env {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let out = rewrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("rewrapped 3 data key(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(wrapped().await.starts_with("vault:v2:"), "the data key is under the new version");
    let conversation_key: String =
        sqlx::query_scalar("SELECT wrapped_key FROM conversations").fetch_one(&world.pool).await.unwrap();
    assert!(conversation_key.starts_with("vault:v2:"), "conversations too");
    let totp: String =
        sqlx::query_scalar("SELECT sealed_secret FROM totp_factors").fetch_one(&world.pool).await.unwrap();
    assert!(totp.starts_with("vault:v2:"), "and TOTP secrets");
    let again = rewrap();
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("rewrapped 0 data key(s) of documents and conversations and TOTP secret(s); 3 already")
    );

    // The old key version retired: the document still opens, because its key was rewrapped.
    let retire = serde_json::json!({ "min_decryption_version": 2 });
    world.root.call(reqwest::Method::POST, "transit/keys/stingd/config", Some(&retire)).await.unwrap();
    let id = stored["id"].as_str().unwrap();
    let content = stingd
        .http
        .get(format!("{}/api/jars/{jar}/documents/{id}/content", stingd.base))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap();
    assert_eq!(content.status(), 200);
    assert_eq!(content.text().await.unwrap(), GUIDE);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = crate::common::site::totp_code(&enrolment.secret_base32, now);
    let check = stingd::identity::factors::TotpCheck::Enrolment;
    assert!(
        stingd::identity::factors::verify_totp(&world.pool, &world.root, ann_id, &code, now, check).await.unwrap(),
        "the TOTP secret opens under the new key version"
    );
    // A fresh stingd (no key in memory) opens the conversation through Vault.
    drop(stingd);
    let fresh = self::stingd(&world, "flag").await;
    let (status, body) =
        send(&fresh, reqwest::Method::GET, &format!("/api/conversations/{conversation}"), &ann, None).await;
    assert_eq!((status, body["conversation"]["title"].as_str()), (200, Some("Key notes")), "{body}");
}

async fn documents_of(stingd: &crate::common::Stingd, cookie: &str, jar: &str) -> Vec<Value> {
    let (status, body) = send(stingd, reqwest::Method::GET, &format!("/api/jars/{jar}/documents"), cookie, None).await;
    assert_eq!(status, 200, "{body}");
    body["documents"].as_array().unwrap().clone()
}

/// The jar's documents once none is queued or indexing any more.
async fn settled(stingd: &crate::common::Stingd, cookie: &str, jar: &str) -> Vec<Value> {
    for _ in 0..300 {
        let documents = documents_of(stingd, cookie, jar).await;
        if documents.iter().all(|d| d["status"] != "queued" && d["status"] != "indexing") {
            return documents;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("ingestion did not finish: {:?}", documents_of(stingd, cookie, jar).await);
}

fn by_name<'a>(documents: &'a [Value], name: &str) -> &'a Value {
    documents.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("no {name} in {documents:?}"))
}

#[tokio::test]
async fn background_ingestion_reports_progress_and_errors_and_a_jar_reindexes_on_demand() {
    let world = world().await;
    let stingd = stingd(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Background").await;

    let path = |name: &str| format!("/api/jars/{jar}/documents?name={name}&wait=false");
    let (status, queued) = send(&stingd, reqwest::Method::POST, &path("guide.md"), &ann, Some(GUIDE.into())).await;
    assert_eq!((status, queued["status"].as_str()), (202, Some("queued")), "{queued}");
    // A PDF by its first bytes that no PDF reader can read: accepted, then failed with the reason.
    let broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated".to_vec();
    let (status, _) = send(&stingd, reqwest::Method::POST, &path("broken.pdf"), &ann, Some(broken)).await;
    assert_eq!(status, 202);
    let letter = b"# Letter\n\nWrite to nectar.keeper@example.org about the queens.\n".to_vec();
    let (status, _) = send(&stingd, reqwest::Method::POST, &path("letter.md"), &ann, Some(letter)).await;
    assert_eq!(status, 202);

    let documents = settled(&stingd, &ann, &jar).await;
    let guide = by_name(&documents, "guide.md");
    assert_eq!((guide["status"].as_str(), guide["progress"].as_f64()), (Some("ready"), Some(1.0)), "{guide}");
    assert!(guide["indexed_at"].is_number() && guide["error"].is_null(), "{guide}");
    let failed = by_name(&documents, "broken.pdf");
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("PDF"), "the reason is given: {failed}");
    assert_eq!(by_name(&documents, "letter.md")["status"], "held", "personal data under flag");
    assert_eq!(search(&stingd, &ann, "propolis").await.len(), 1);
    assert!(search(&stingd, &ann, "queens").await.is_empty(), "held is not searchable");
    let leftovers = std::fs::read_dir(world.files.path().join("uploads")).unwrap().count();
    assert_eq!(leftovers, 0, "no temporary upload is left behind");

    // Re-index: everything goes through again; the held letter stays held, the guide searchable.
    let first_indexed = guide["indexed_at"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = send(&stingd, reqwest::Method::POST, &format!("/api/jars/{jar}/reindex"), &ann, None).await;
    assert_eq!((status, body["queued"].as_u64()), (202, Some(3)), "{body}");
    let documents = settled(&stingd, &ann, &jar).await;
    let guide = by_name(&documents, "guide.md");
    assert_eq!(guide["status"], "ready");
    assert!(guide["indexed_at"].as_i64().unwrap() > first_indexed, "indexed again: {guide}");
    assert_eq!(by_name(&documents, "letter.md")["status"], "held");
    assert_eq!(by_name(&documents, "broken.pdf")["status"], "failed");
    assert_eq!(search(&stingd, &ann, "propolis").await.len(), 1, "one index, not two");
    let bob = signed_in(&world, "bob@example.org", Role::User).await;
    let (status, _) = send(&stingd, reqwest::Method::POST, &format!("/api/jars/{jar}/reindex"), &bob, None).await;
    assert_eq!(status, 404, "only those who may write to the jar");

    // A stingd that stopped mid-way takes the work up again when it starts.
    sqlx::query("UPDATE documents SET status = 'queued', progress = 0 WHERE name = 'guide.md'")
        .execute(&world.pool)
        .await
        .unwrap();
    drop(stingd);
    let stingd = self::stingd(&world, "flag").await;
    let documents = settled(&stingd, &ann, &jar).await;
    assert_eq!(by_name(&documents, "guide.md")["status"], "ready");
}

#[tokio::test]
async fn the_block_policy_in_the_background_keeps_nothing_of_the_document() {
    let world = world().await;
    let blocking = stingd(&world, "block").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&blocking, &ann, "Orders").await;
    let letter = b"# Order\n\nWrite to keeper@example.org for the swarm.\n".to_vec();
    let path = format!("/api/jars/{jar}/documents?name=order.md&wait=false");
    assert_eq!(send(&blocking, reqwest::Method::POST, &path, &ann, Some(letter)).await.0, 202);
    let documents = settled(&blocking, &ann, &jar).await;
    assert_eq!(documents[0]["status"], "failed");
    assert!(documents[0]["error"].as_str().unwrap().contains("personal data"), "{:?}", documents[0]);
    let (content, chunks): (i32, i64) = sqlx::query_as(
        "SELECT octet_length(content), (SELECT count(*) FROM chunks) FROM documents WHERE name = 'order.md'",
    )
    .fetch_one(&world.pool)
    .await
    .unwrap();
    assert_eq!((content, chunks), (0, 0), "nothing of a blocked document is kept");
    let (status, body) = send(
        &blocking,
        reqwest::Method::POST,
        &format!("/api/jars/{jar}/documents?name=x.md&wait=maybe"),
        &ann,
        Some(b"x".to_vec()),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_wait")));
}

#[tokio::test]
async fn with_embeddings_a_question_finds_its_passage_by_meaning_and_vectors_are_sealed() {
    use sting_e2e::Component;
    let world = world().await;
    let model = sting_e2e::env::require_path(Component::EmbeddingModel);
    let embeddings = format!("  embeddings:\n    model: {}\n    min_similarity: 0.3\n", model.display());
    let (stingd, _) = stingd_configured(&world, "flag", &[crate::common::model("bee", "")], &embeddings, "").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let bob = signed_in(&world, "bob@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Beekeeping").await;
    let (status, stored) = upload(&stingd, &ann, &jar, "guide.md", GUIDE.as_bytes()).await;
    assert_eq!(status, 201, "{stored}");

    // Not one word in common with the passage that answers it.
    let question = "how%20much%20food%20should%20stay%20for%20the%20insects%20during%20the%20cold%20months";
    let hits = search(&stingd, &ann, question).await;
    assert!(!hits.is_empty(), "found by meaning alone");
    assert_eq!(hits[0]["heading"], "Hive care > Winter", "{hits:?}");
    assert!(hits[0]["similarity"].as_f64().unwrap() >= 0.3 && hits[0]["text_score"].is_null(), "{hits:?}");
    // Found by words and by meaning: fused, and first in both scores 1.
    let both = search(&stingd, &ann, "winter%20honey").await;
    assert_eq!(both[0]["heading"], "Hive care > Winter");
    assert!(both[0]["text_score"].is_number() && both[0]["similarity"].is_number(), "{both:?}");
    assert!((both[0]["score"].as_f64().unwrap() - 1.0).abs() < 1e-6, "{both:?}");
    assert!(search(&stingd, &ann, "rocket%20launch%20schedule%20for%20the%20satellite").await.is_empty(), "the floor");
    assert!(search(&stingd, &bob, question).await.is_empty(), "meaning does not open a jar bob cannot read");

    // Every chunk has its vector, sealed (nonce and tag around 384 floats), none in the clear.
    let sealed: Vec<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT embedding FROM chunks").fetch_all(&world.pool).await.unwrap();
    assert!(!sealed.is_empty());
    for vector in &sealed {
        assert_eq!(vector.as_ref().map(Vec::len), Some(384 * 4 + 28));
    }
    // A new document is found at once (the jar's vectors in memory are refreshed).
    let (status, _) =
        upload(&stingd, &ann, &jar, "tools.md", b"# Tools\n\nThe smoker calms the colony before an inspection.\n")
            .await;
    assert_eq!(status, 201);
    let hits = search(&stingd, &ann, "device%20producing%20smoke%20for%20beekeeping").await;
    assert!(hits.iter().any(|h| h["document_name"] == "tools.md"), "{hits:?}");
}

#[tokio::test]
async fn the_quota_holds_for_uploads_sent_together_and_an_interrupted_upload_leaves_nothing() {
    let world = world().await;
    let stingd = stingd(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Quota").await;
    // 60 KiB each under a 1 MiB quota: 17 fit, the rest must not, however they arrive.
    let body = |i: usize| format!("# Notes {i}\n\n{}\n", "hive frames and honey supers ".repeat(2100)).into_bytes();
    assert!(body(0).len() > 60_000 && body(0).len() < 64 * 1024);
    let uploads = (0..24).map(|i| {
        let (stingd, ann, jar) = (&stingd, &ann, &jar);
        async move { upload(stingd, ann, jar, &format!("notes-{i}.md"), &body(i)).await }
    });
    let answers = futures_util::future::join_all(uploads).await;
    let stored = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 413).map(|(_, b)| b).collect();
    assert_eq!(stored + refused.len(), 24, "{answers:?}");
    assert_eq!(stored, 1024 * 1024 / body(0).len(), "exactly what fits");
    assert!(refused.iter().all(|b| b["error"]["code"] == "quota_exceeded"), "{refused:?}");
    let kept: i64 = sqlx::query_scalar("SELECT sum(size)::bigint FROM documents").fetch_one(&world.pool).await.unwrap();
    assert!(kept <= 1024 * 1024, "{kept}");
    assert_eq!(documents_of(&stingd, &ann, &jar).await.len(), stored);

    // A client that promises more than it sends, then hangs up.
    use tokio::io::AsyncWriteExt;
    let address = stingd.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/jars/{jar}/documents?name=cut.md HTTP/1.1\r\nHost: {address}\r\nCookie: {ann}\r\nOrigin: {}\r\nContent-Length: 50000\r\n\r\n# Cut\n\nhalf a",
        origin(&stingd)
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.shutdown().await.unwrap();
    drop(socket);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM documents").fetch_all(&world.pool).await.unwrap();
    assert!(!names.contains(&"cut.md".to_string()), "nothing of a cut upload is kept");
    let leftovers = std::fs::read_dir(world.files.path().join("uploads")).unwrap().count();
    assert_eq!(leftovers, 0, "its temporary file is gone");
}

#[tokio::test]
async fn only_ready_documents_can_be_downloaded_and_redact_keeps_no_unchecked_original() {
    let world = world().await;
    let flagging = stingd(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let vic = signed_in(&world, "vic@example.org", Role::Viewer).await;
    let moderator = signed_in(&world, "mod@example.org", Role::Moderator).await;
    let jar = new_jar(&flagging, &ann, "Letters").await;
    let shares = serde_json::to_vec(&json!({"shares": [{"email": "vic@example.org", "permission": "read"}]})).unwrap();
    let shared = flagging
        .http
        .put(format!("{}/api/jars/{jar}/shares", flagging.base))
        .header("cookie", &ann)
        .header("origin", origin(&flagging))
        .header("content-type", "application/json")
        .body(shares)
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), 200);
    let content = |stingd: &crate::common::Stingd, cookie: &str, id: &str| {
        let url = format!("{}/api/jars/{jar}/documents/{id}/content", stingd.base);
        let request = stingd.http.get(url).header("cookie", cookie.to_string());
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };

    // Held for a moderator: the moderator reads it to decide; a reader of the jar does not.
    let letter = "# Letter\n\nWrite to nectar.keeper@example.org about the queens.\n";
    let (status, held) = upload(&flagging, &ann, &jar, "letter.md", letter.as_bytes()).await;
    assert_eq!((status, held["status"].as_str()), (201, Some("held")), "{held}");
    let id = held["id"].as_str().unwrap();
    let (status, body) = content(&flagging, &vic, id).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("document_not_ready") && !body.contains("nectar"), "{body}");
    assert_eq!(content(&flagging, &ann, id).await.0, 409, "nor its uploader, until a moderator decides");
    assert_eq!(content(&flagging, &moderator, id).await, (200, letter.to_string()));
    drop(flagging);

    // Under redact (here with too small a text limit for anything to index), an upload that
    // fails ingestion was never checked: its original goes. So does one known to hold personal
    // data, kept whole under flag, when its reindexing fails.
    let tight = "  max_text_size: 20b\n";
    let (redacting, _) = stingd_configured(&world, "redact", &[crate::common::model("bee", "")], tight, "").await;
    let (status, _) = send(&redacting, reqwest::Method::POST, &format!("/api/jars/{jar}/reindex"), &ann, None).await;
    assert_eq!(status, 202);
    let documents = settled(&redacting, &ann, &jar).await;
    assert_eq!(by_name(&documents, "letter.md")["status"], "failed", "{documents:?}");
    let kept: i32 = sqlx::query_scalar("SELECT octet_length(content) FROM documents WHERE name = 'letter.md'")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "the original with its address is not kept");
    let indexed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.name = 'letter.md'",
    )
    .fetch_one(&world.pool)
    .await
    .unwrap();
    assert_eq!(indexed, 0, "nor its index, which holds the address too");

    let broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nCall keeper@example.org\ntruncated".to_vec();
    let path = format!("/api/jars/{jar}/documents?name=broken.pdf&wait=false");
    let (status, queued) = send(&redacting, reqwest::Method::POST, &path, &ann, Some(broken)).await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["id"].as_str().unwrap();
    assert_eq!(content(&redacting, &ann, id).await.0, 409, "not readable while queued, indexing or failed");
    let documents = settled(&redacting, &ann, &jar).await;
    assert_eq!(by_name(&documents, "broken.pdf")["status"], "failed");
    assert_eq!(content(&redacting, &ann, id).await.0, 409);
    let kept: i32 = sqlx::query_scalar("SELECT octet_length(content) FROM documents WHERE name = 'broken.pdf'")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "the unchecked original is not kept");
}

/// The peak resident memory of a process, in bytes (`VmHWM`).
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test]
async fn a_docx_that_unpacks_to_gigabytes_is_refused_for_its_text_and_stingd_keeps_serving() {
    use std::io::Write;
    let world = world().await;
    let sizes = "  max_document_size: 8m\n  user_quota: 64m\n";
    let (stingd, _) = stingd_configured(&world, "flag", &[crate::common::model("bee", "")], sizes, "").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Bombs").await;

    // Two GiB of paragraphs once unpacked, about 2 MiB packed.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"<w:document><w:body>").unwrap();
    let block = [&b"<w:p><w:r><w:t>"[..], &vec![b'a'; 1 << 20], b"</w:t></w:r></w:p>"].concat();
    for _ in 0..2048 {
        zip.write_all(&block).unwrap();
    }
    zip.write_all(b"</w:body></w:document>").unwrap();
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 8 << 20, "{} bytes packed", bomb.len());

    let before = peak_memory(stingd.process.id());
    let uploading = upload(&stingd, &ann, &jar, "bomb.docx", &bomb);
    let serving = async {
        // Meanwhile, other requests are answered.
        let mut answered = 0;
        for _ in 0..20 {
            let (status, _) = send(&stingd, reqwest::Method::GET, "/api/jars", &ann, None).await;
            assert_eq!(status, 200);
            answered += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        answered
    };
    let ((status, body), answered) = tokio::join!(uploading, serving);
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("document_text_too_large")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("honey_jars.max_text_size"), "{body}");
    assert_eq!(answered, 20);
    let grown = peak_memory(stingd.process.id()).saturating_sub(before);
    assert!(grown < 256 << 20, "stingd's peak memory grew by {} MiB", grown >> 20);
}

async fn users_id(world: &World, email: &str) -> uuid::Uuid {
    stingd::identity::users::find_by_email(&world.pool, email).await.unwrap().unwrap().id
}
