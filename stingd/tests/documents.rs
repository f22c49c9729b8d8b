//! Documents in Honey Jars with a real OpenBao, PostgreSQL and stingd: uploads sealed with their
//! own data keys (no plaintext at rest), indexed and searchable only by those who may read the
//! jar, the upload PII policy (flag holds for a moderator, redact keeps no personal data, block
//! refuses), bad files refused cleanly, and a sealed Vault failing closed.

mod common;

use common::jars_world::*;
use serde_json::json;
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
async fn after_the_key_is_rotated_rewrap_keeps_every_document_readable() {
    let world = world().await;
    let (stingd, env) = stingd_with_env(&world, "flag").await;
    let ann = signed_in(&world, "ann@example.org", Role::User).await;
    let jar = new_jar(&stingd, &ann, "Keys").await;
    let (status, stored) = upload(&stingd, &ann, &jar, "guide.md", GUIDE.as_bytes()).await;
    assert_eq!(status, 201);
    let wrapped = || async {
        sqlx::query_scalar::<_, String>("SELECT wrapped_key FROM documents").fetch_one(&world.pool).await.unwrap()
    };
    assert!(wrapped().await.starts_with("vault:v1:"));

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
    assert!(String::from_utf8_lossy(&out.stdout).contains("rewrapped 1 document key(s); 0 already"));
    assert!(wrapped().await.starts_with("vault:v2:"), "the data key is under the new version");
    let again = rewrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("rewrapped 0 document key(s); 1 already"));

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
}
