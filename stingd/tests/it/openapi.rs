//! The OpenAPI document at `/api/openapi.json`, and schemathesis run against it: every
//! operation, fuzzed as a signed-in admin, never answers 500, never answers a status the
//! document does not declare (so a 503 only where it says so), and always answers in the
//! declared content type and shape.

use crate::common::jars_world;
use crate::common::site::Site;
use sting_e2e::Component;
use sting_e2e::env::require_path;
use stingd::identity::users::Role;

#[tokio::test]
async fn the_document_needs_credentials_and_lists_every_route() {
    let site = Site::start("").await;
    let url = format!("{}/api/openapi.json", site.stingd.base);
    assert_eq!(site.stingd.http.get(&url).send().await.unwrap().status(), 401);
    let doc: serde_json::Value =
        site.stingd.http.get(&url).bearer_auth(crate::common::API_KEY).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let (_, decisions) = stingd::http::routes().into_parts();
    for decision in decisions {
        let op = &doc["paths"][decision.path][decision.method.as_str().to_lowercase()];
        // The web app's pages are not the API: the document leaves them out, and only them.
        let page = stingd::http::openapi::is_page(decision.path);
        assert_eq!(op.is_object(), !page, "{} {} (page: {page})", decision.method, decision.path);
    }
    assert_eq!(
        doc["paths"]["/api/tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewToken"
    );
    assert!(doc["components"]["schemas"]["NewToken"]["properties"]["scopes"].is_object());
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_undeclared_answer() {
    let schemathesis = require_path(Component::Schemathesis);
    // With Vault and the database, as installed: documents and conversations are stored sealed.
    let world = jars_world::world().await;
    let (stingd, _) = jars_world::stingd_custom(&world, "flag", &[crate::common::model("bee", "")], "").await;
    let cookie = jars_world::signed_in(&world, "admin@example.org", Role::Admin).await;
    let doc = stingd
        .http
        .get(format!("{}/api/openapi.json", stingd.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("openapi.json");
    std::fs::write(&schema, doc).unwrap();

    let base = stingd.base.clone();
    let origin = jars_world::origin(&stingd);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(schemathesis)
            .arg("run")
            .arg(&schema)
            .args(["--url", &base])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth"])
            .args(["--phases", "examples,fuzzing"])
            .args(["--max-examples", "25", "--workers", "2", "--seed", "1"])
            // These end the session the run is signed in with; their own tests cover them.
            .args(["--exclude-operation-id", "post_api_admin_sessions_revoke_all"])
            .args(["--exclude-operation-id", "post_api_auth_signout"])
            .args(["-H", &format!("Cookie: {cookie}"), "-H", &format!("Origin: {origin}")])
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems:\n{report}");
}
