//! Notifications over the API against a real stingd and PostgreSQL: a share tells the person
//! it is for, live on their stream, kept until read; no one reads or marks another's.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use stingd::identity::credential::Aal;
use stingd::identity::users::{self, Role};

use crate::common::site::{Site, cookie_for};

/// Reads server-sent events until one named `name` arrives; its data.
async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    seen: &mut String,
    name: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = seen.find("\n\n") {
            let block: String = seen.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("message");
            let data: String = block.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
            if event == name {
                return serde_json::from_str(&data).unwrap();
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("no `{name}` event: {seen:?}"));
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open").unwrap()));
    }
}

#[tokio::test]
async fn a_share_tells_the_person_it_is_for_live_and_no_one_reads_anothers_notifications() {
    let site = Site::start("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let bob = users::create(&site.pool, "bob@example.org", Role::User).await.unwrap();
    let (ann_cookie, bob_cookie) =
        (cookie_for(&site.pool, ann.id, Aal::One).await, cookie_for(&site.pool, bob.id, Aal::One).await);
    let jar = site.post("/api/jars", Some(&ann_cookie), json!({"name": "Apiary"})).await.json::<Value>().await.unwrap();
    let jar = jar["id"].as_str().unwrap().to_string();

    let mut anns_stream = site.get("/api/notifications/stream", &ann_cookie).await.bytes_stream();
    let mut anns_seen = String::new();
    next_event(&mut anns_stream, &mut anns_seen, "unread").await;
    let opened = site.get("/api/notifications/stream", &bob_cookie).await;
    assert_eq!(opened.status(), 200);
    assert!(opened.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut stream = opened.bytes_stream();
    let mut seen = String::new();
    assert_eq!(next_event(&mut stream, &mut seen, "unread").await, json!({"unread": 0}));

    let share = json!({"shares": [{"email": "bob@example.org", "permission": "write"}]});
    let shares = format!("/api/jars/{jar}/shares");
    let put = |body: Value| site.request(reqwest::Method::PUT, &shares, &ann_cookie).json(&body).send();
    assert_eq!(put(share.clone()).await.unwrap().status(), 200);
    let told = next_event(&mut stream, &mut seen, "notification").await;
    assert_eq!(told["unread"], 1, "{told}");
    assert_eq!(told["notification"]["kind"], "jar_shared");
    assert_eq!(told["notification"]["title"], "“Apiary” is shared with you");
    assert_eq!(told["notification"]["link"], format!("/jars/{jar}"));
    let body = told["notification"]["body"].as_str().unwrap();
    assert!(body.starts_with("ann@example.org shared") && body.contains("add and remove documents"), "{body}");

    // Ann's stream was told nothing of Bob's: the next it tells is hers.
    let hers = stingd::notifications::New {
        kind: stingd::notifications::Kind::Posted,
        title: "for ann",
        body: "",
        link: None,
    };
    stingd::notifications::send(&site.pool, ann.id, &hers).await.unwrap();
    let told = next_event(&mut anns_stream, &mut anns_seen, "notification").await;
    assert_eq!((told["notification"]["title"].as_str(), told["unread"].as_i64()), (Some("for ann"), Some(1)), "{told}");

    // Kept until read; the same share saved again tells nothing new.
    assert_eq!(put(share).await.unwrap().status(), 200);
    let listed: Value = site.get("/api/notifications", &bob_cookie).await.json().await.unwrap();
    assert_eq!(
        (listed["notifications"].as_array().unwrap().len(), listed["unread"].clone()),
        (1, json!(1)),
        "{listed}"
    );
    let id = listed["notifications"][0]["id"].as_str().unwrap().to_string();

    // Ann sees none of Bob's, and cannot mark his.
    let anns: Value = site.get("/api/notifications", &ann_cookie).await.json().await.unwrap();
    let titles: Vec<&str> =
        anns["notifications"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["for ann"]);
    let foreign = site.get(&format!("/api/notifications?before={id}"), &ann_cookie).await;
    assert_eq!(foreign.status(), 400, "paging from another's notification");
    assert_eq!(foreign.json::<Value>().await.unwrap()["error"]["code"], "invalid_before");
    let refused = site.post(&format!("/api/notifications/{id}/read"), Some(&ann_cookie), json!({})).await;
    assert_eq!(refused.status(), 404);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "notification_not_found");
    let bad = site.get("/api/notifications?limit=0", &bob_cookie).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["code"], "invalid_limit");

    let marked = site.post(&format!("/api/notifications/{id}/read"), Some(&bob_cookie), json!({})).await;
    assert_eq!(marked.status(), 204);
    let listed: Value = site.get("/api/notifications", &bob_cookie).await.json().await.unwrap();
    assert_eq!((listed["unread"].clone(), listed["notifications"][0]["read"].clone()), (json!(0), json!(true)));
}

#[tokio::test]
async fn notifications_page_through_by_key_newest_first() {
    let site = Site::start("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let cookie = cookie_for(&site.pool, ann.id, Aal::One).await;
    for n in 0..5 {
        let title = format!("number {n}");
        let new = stingd::notifications::New {
            kind: stingd::notifications::Kind::Posted,
            title: &title,
            body: "",
            link: None,
        };
        stingd::notifications::send(&site.pool, ann.id, &new).await.unwrap();
    }
    let mut titles = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let path = match &before {
            Some(id) => format!("/api/notifications?limit=2&before={id}"),
            None => "/api/notifications?limit=2".to_string(),
        };
        let page: Value = site.get(&path, &cookie).await.json().await.unwrap();
        let items = page["notifications"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        titles.extend(items.iter().map(|n| n["title"].as_str().unwrap().to_string()));
        before = items.last().map(|n| n["id"].as_str().unwrap().to_string());
    }
    assert_eq!(titles, ["number 4", "number 3", "number 2", "number 1", "number 0"]);
    let marked: Value = site.post("/api/notifications/read", Some(&cookie), json!({})).await.json().await.unwrap();
    assert_eq!(marked, json!({"marked": 5}));
}

#[tokio::test]
async fn an_open_stream_ends_when_stingd_stops_and_does_not_hold_it_up() {
    let site = Site::start("").await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let cookie = cookie_for(&site.pool, ann.id, Aal::One).await;
    let mut stream = site.get("/api/notifications/stream", &cookie).await.bytes_stream();
    let mut seen = String::new();
    next_event(&mut stream, &mut seen, "unread").await;
    let pid = site.stingd.process.id();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let started = std::time::Instant::now();
    while !crate::common::is_dead(pid) {
        assert!(started.elapsed() < Duration::from_secs(10), "stingd waited on an open stream");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rest = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("the stream ends");
    assert!(rest.is_none() || rest.is_some_and(|r| r.is_err()), "nothing more is sent");
    let said = site.stingd.process.output();
    assert!(!said.contains("background tasks still running"), "{said}");
}

#[tokio::test]
async fn the_uploader_is_told_when_a_document_is_held_and_when_a_moderator_releases_it() {
    let sections = "pii:\n  mode: flag\n  entities: [email]\n";
    let site = Site::start_https_with("", &[crate::common::model("bee", "")], sections).await;
    let ann = users::create(&site.pool, "ann@example.org", Role::User).await.unwrap();
    let mo = users::create(&site.pool, "mo@example.org", Role::Moderator).await.unwrap();
    let (ann_cookie, mo_cookie) =
        (cookie_for(&site.pool, ann.id, Aal::One).await, cookie_for(&site.pool, mo.id, Aal::Two).await);
    let jar =
        site.post("/api/jars", Some(&ann_cookie), json!({"name": "Contacts"})).await.json::<Value>().await.unwrap();
    let jar = jar["id"].as_str().unwrap().to_string();
    let upload = format!("/api/jars/{jar}/documents?name=contacts.txt");
    let sent = site
        .request(reqwest::Method::POST, &upload, &ann_cookie)
        .body("Write to jo.smith@example.org about the hives.\n");
    let uploaded: Value = sent.send().await.unwrap().json().await.unwrap();
    assert_eq!(uploaded["status"], "held", "{uploaded}");
    let document = uploaded["id"].as_str().unwrap().to_string();
    let told: Value = site.get("/api/notifications", &ann_cookie).await.json().await.unwrap();
    let held = &told["notifications"][0];
    assert_eq!(
        (held["kind"].as_str(), held["title"].as_str()),
        (Some("document_held"), Some("“contacts.txt” is held for review"))
    );
    assert!(held["body"].as_str().unwrap().contains("personal data (email)"), "{held}");
    assert_eq!(held["link"], format!("/jars/{jar}"));

    let approved =
        site.post(&format!("/api/jars/{jar}/documents/{document}/approve"), Some(&mo_cookie), json!({})).await;
    assert!(approved.status().is_success(), "{}", approved.status());
    let told: Value = site.get("/api/notifications", &ann_cookie).await.json().await.unwrap();
    assert_eq!(told["unread"], 2, "{told}");
    assert_eq!(told["notifications"][0]["kind"], "document_released");
    assert_eq!(told["notifications"][0]["title"], "“contacts.txt” is released");
    let mos: Value = site.get("/api/notifications", &mo_cookie).await.json().await.unwrap();
    assert_eq!(mos["unread"], 0, "the moderator is told nothing of it");
}

#[tokio::test]
async fn a_person_is_told_when_an_admin_changes_their_role() {
    let site = Site::start("").await;
    let admin = users::create(&site.pool, "root@example.org", Role::Admin).await.unwrap();
    let bob = users::create(&site.pool, "bob@example.org", Role::User).await.unwrap();
    let admin_cookie = cookie_for(&site.pool, admin.id, Aal::Two).await;
    let path = format!("/api/admin/users/{}/role", bob.id);
    let change = |role: &'static str| site.post(&path, Some(&admin_cookie), json!({ "role": role }));
    assert_eq!(change("moderator").await.status(), 204);
    // The same role again is no change: nothing more to tell.
    assert_eq!(change("moderator").await.status(), 204);
    let bob_cookie = cookie_for(&site.pool, bob.id, Aal::One).await;
    let told: Value = site.get("/api/notifications", &bob_cookie).await.json().await.unwrap();
    let all = told["notifications"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{told}");
    assert_eq!(
        (all[0]["kind"].as_str(), all[0]["title"].as_str()),
        (Some("role_changed"), Some("Your role is now moderator"))
    );
    assert!(all[0]["body"].as_str().unwrap().contains("from user to moderator"), "{told}");
}
