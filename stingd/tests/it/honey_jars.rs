//! Honey Jars over HTTP: who sees and changes what. A jar not shared with someone does not
//! exist for them; sharing with a user, a role or everyone opens it as far as the share says; a
//! viewer reads at most; admins and moderators manage every jar only at AAL2.

use std::time::Duration;

use crate::common::site::Site;
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

struct Person {
    id: uuid::Uuid,
    cookie: String,
}

async fn person(site: &Site, email: &str, role: Role, aal: Aal) -> Person {
    let user = match users::find_by_email(&site.pool, email).await.unwrap() {
        Some(user) => user,
        None => users::create(&site.pool, email, role).await.unwrap(),
    };
    let session = sessions::create(&site.pool, user.id, aal, Duration::from_secs(3600)).await.unwrap();
    Person { id: user.id, cookie: format!("{}={session}", sessions::COOKIE_NAME) }
}

async fn call(site: &Site, method: &str, path: &str, who: &Person, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = site
        .stingd
        .http
        .request(method, format!("{}{path}", site.stingd.base))
        .header("cookie", &who.cookie)
        .header("origin", &site.origin);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<String> {
    list["jars"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_jar_is_seen_and_changed_only_as_far_as_it_is_shared() {
    let site = Site::start("").await;
    let ann = person(&site, "ann@example.org", Role::User, Aal::One).await;
    let bob = person(&site, "bob@example.org", Role::User, Aal::One).await;
    let cat = person(&site, "cat@example.org", Role::User, Aal::One).await;
    let vic = person(&site, "vic@example.org", Role::Viewer, Aal::Two).await;

    let (status, jar) =
        call(&site, "POST", "/api/jars", &ann, Some(json!({"name": "Hive notes", "description": "bees"}))).await;
    assert_eq!(status, 201, "{jar}");
    assert_eq!(jar["permission"], "manage");
    let id = jar["id"].as_str().unwrap().to_string();
    let path = format!("/api/jars/{id}");

    // Not shared: it does not exist for anyone else, whatever they try (a viewer may not
    // change any jar, which says nothing about this one).
    for other in [&bob, &cat, &vic] {
        let changes = if other.id == vic.id { 403 } else { 404 };
        assert_eq!(names(&call(&site, "GET", "/api/jars", other, None).await.1), Vec::<String>::new());
        assert_eq!(call(&site, "GET", &path, other, None).await.0, 404);
        assert_eq!(call(&site, "DELETE", &path, other, None).await.0, changes);
        assert_eq!(call(&site, "PATCH", &path, other, Some(json!({"name": "mine"}))).await.0, changes);
    }

    // Shared with bob to read, with every `user` to write.
    let shares = json!({"shares": [
        {"email": "BOB@example.org", "permission": "read"},
        {"role": "user", "permission": "write"},
    ]});
    let (status, stored) = call(&site, "PUT", &format!("{path}/shares"), &ann, Some(shares)).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["shares"].as_array().unwrap().len(), 2);
    let (status, seen) = call(&site, "GET", &path, &bob, None).await;
    assert_eq!((status, seen["permission"].as_str()), (200, Some("write")), "the role share gives more: {seen}");
    assert!(seen.get("shares").is_none(), "only managers see the shares");
    assert_eq!(call(&site, "GET", &path, &cat, None).await.1["permission"], "write");
    let (status, refused) = call(&site, "DELETE", &path, &bob, None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("jar_permission_denied")));
    assert_eq!(call(&site, "PUT", &format!("{path}/shares"), &bob, Some(json!({"shares": []}))).await.0, 403);
    assert_eq!(call(&site, "GET", &path, &vic, None).await.0, 404, "a viewer is not a `user`");

    // Everyone signed in may read; a viewer never gets more than reading.
    let shares = json!({"shares": [{"everyone": true, "permission": "write"}]});
    assert_eq!(call(&site, "PUT", &format!("{path}/shares"), &ann, Some(shares)).await.0, 200);
    assert_eq!(call(&site, "GET", &path, &vic, None).await.1["permission"], "read");
    assert_eq!(call(&site, "GET", &path, &bob, None).await.1["permission"], "write");

    // Admins and moderators manage every jar at AAL2, and are like anyone else at AAL1.
    let shares = json!({"shares": []});
    assert_eq!(call(&site, "PUT", &format!("{path}/shares"), &ann, Some(shares)).await.0, 200);
    let weak_mod = person(&site, "mod@example.org", Role::Moderator, Aal::One).await;
    let strong_mod = person(&site, "mod@example.org", Role::Moderator, Aal::Two).await;
    assert_eq!(call(&site, "GET", &path, &weak_mod, None).await.0, 404);
    let (status, managed) = call(&site, "GET", &path, &strong_mod, None).await;
    assert_eq!((status, managed["permission"].as_str()), (200, Some("manage")));
    assert_eq!(managed["shares"], json!([]));

    // Renaming and deleting, by a manager; the audit log has it all.
    let (status, renamed) = call(&site, "PATCH", &path, &ann, Some(json!({"name": "Hive notes 2026"}))).await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("Hive notes 2026")));
    assert_eq!(call(&site, "DELETE", &path, &strong_mod, None).await.0, 204);
    assert_eq!(call(&site, "GET", &path, &ann, None).await.0, 404);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'jar.%' ORDER BY id")
            .fetch_all(&site.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["jar.create", "jar.share", "jar.share", "jar.share", "jar.update", "jar.delete"]);
    let _ = (ann.id, bob.id);
}

#[tokio::test]
async fn bad_jars_and_bad_shares_are_refused_with_what_to_do() {
    let site = Site::start("").await;
    let ann = person(&site, "ann@example.org", Role::User, Aal::One).await;
    let vic = person(&site, "vic@example.org", Role::Viewer, Aal::One).await;
    let create = |name: Value| call(&site, "POST", "/api/jars", &ann, Some(json!({"name": name})));

    for (name, code) in
        [(json!("   "), "invalid_name"), (json!("x".repeat(201)), "invalid_name"), (json!("a\u{7}b"), "invalid_name")]
    {
        let (status, body) = create(name).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some(code)), "{body}");
    }
    let (status, jar) = create(json!("Recipes")).await;
    assert_eq!(status, 201);
    let (status, body) = create(json!("recipes")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("jar_name_taken")),
        "names are unique per owner, any case"
    );
    let (status, _) = call(&site, "POST", "/api/jars", &vic, Some(json!({"name": "Mine"}))).await;
    assert_eq!(status, 403, "a viewer creates nothing");

    let shares = format!("/api/jars/{}/shares", jar["id"].as_str().unwrap());
    for (share, code) in [
        (json!({"email": "nobody@example.org", "permission": "read"}), "unknown_user"),
        (json!({"user": uuid::Uuid::new_v4(), "permission": "read"}), "unknown_user"),
        (json!({"role": "user", "everyone": true, "permission": "read"}), "invalid_share"),
        (json!({"permission": "read"}), "invalid_share"),
    ] {
        let (status, body) = call(&site, "PUT", &shares, &ann, Some(json!({"shares": [share]}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some(code)), "{body}");
    }
    // Someone who may not manage the jar learns nothing of which accounts exist: a known and an
    // unknown address get the same answer.
    let bob = person(&site, "bob@example.org", Role::User, Aal::One).await;
    let as_bob = |email: &str| {
        call(&site, "PUT", &shares, &bob, Some(json!({"shares": [{"email": email, "permission": "read"}]})))
    };
    let (known, unknown) = (as_bob("ann@example.org").await, as_bob("nobody@example.org").await);
    assert_eq!(known, unknown, "no account enumeration through shares");
    assert_eq!(known.0, 404);
    let (status, _) =
        call(&site, "PUT", &shares, &ann, Some(json!({"shares": [{"role": "user", "permission": "owner"}]}))).await;
    assert_eq!(status, 422, "a share gives read, write or manage");
    // A manage share hands over what the owner may do; the highest of a user's shares counts.
    let both = json!({"shares": [{"email": "bob@example.org", "permission": "manage"}, {"role": "user", "permission": "read"}]});
    assert_eq!(call(&site, "PUT", &shares, &ann, Some(both)).await.0, 200);
    let jar_path = format!("/api/jars/{}", jar["id"].as_str().unwrap());
    let (status, seen) = call(&site, "GET", &jar_path, &bob, None).await;
    assert_eq!((status, seen["permission"].as_str()), (200, Some("manage")), "{seen}");
    let (status, _) = call(&site, "PATCH", &jar_path, &bob, Some(json!({"name": "Recipes (Bob)"}))).await;
    assert_eq!(status, 200, "a manager renames");
    let (status, seen) = call(&site, "GET", &jar_path, &vic, None).await;
    assert_eq!(status, 404, "a viewer sees no jar no share reaches: {seen}");
    let twice = json!({"shares": [{"role": "user", "permission": "read"}, {"role": "user", "permission": "write"}]});
    assert_eq!(call(&site, "PUT", &shares, &ann, Some(twice)).await.0, 400);
    let (status, body) = call(&site, "GET", "/api/jars/not-a-uuid", &ann, None).await;
    assert_eq!(status, 400, "{body}");
}
