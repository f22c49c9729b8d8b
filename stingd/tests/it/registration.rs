//! Who may create an account: `auth.registration` (open, invite, closed), and admins' invitations
//! by email, end to end with a capturing SMTP server.

use std::time::Duration;

use crate::common::site::Site;
use serde_json::{Value, json};
use stingd::identity::users::{self, Role};
use stingd::identity::{credential::Aal, sessions};

async fn site(registration: &str) -> Site {
    Site::start(&format!("  registration: {registration}\n")).await
}

#[tokio::test]
async fn by_invitation_strangers_cannot_register_and_an_admin_invites_by_email() {
    let site = site("invite").await;
    let closed = site.post("/api/auth/register", None, json!({"email": "me@example.org"})).await;
    assert_eq!(closed.status(), 403);
    assert_eq!(closed.json::<Value>().await.unwrap()["error"]["code"], "registration_closed");

    let admin = users::create(&site.pool, "admin@example.org", Role::Admin).await.unwrap();
    let session = sessions::create(&site.pool, admin.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    let invited = site
        .post("/api/admin/invitations", Some(&cookie), json!({"email": "mod@example.org", "role": "moderator"}))
        .await;
    assert_eq!(invited.status(), 201);
    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, ["mod@example.org"]);
    let token = site.link_secret(&mails[0].data, "/enrol");
    assert_eq!(site.post("/api/auth/enrol", None, json!({"token": token})).await.status(), 200);
    assert_eq!(users::find_by_email(&site.pool, "mod@example.org").await.unwrap().unwrap().role, Role::Moderator);

    let again = site.post("/api/admin/invitations", Some(&cookie), json!({"email": "MOD@example.org"})).await;
    assert_eq!(again.status(), 409);
    let audit: Value = site
        .stingd
        .http
        .get(format!("{}/api/admin/audit", site.stingd.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(audit.to_string().contains("user.invite"));
}

#[tokio::test]
async fn open_registration_mails_an_enrolment_link_and_never_reveals_an_existing_account() {
    let site = site("open").await;
    users::create(&site.pool, "taken@example.org", Role::User).await.unwrap();
    let new = site.post("/api/auth/register", None, json!({"email": "new@example.org"})).await;
    let taken = site.post("/api/auth/register", None, json!({"email": "taken@example.org"})).await;
    assert_eq!(new.status(), 202);
    assert_eq!(new.status(), taken.status());
    assert_eq!(new.json::<Value>().await.unwrap(), taken.json::<Value>().await.unwrap());
    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(site.mail.mails().len(), 1, "only the new address got mail");
    assert_eq!(mails[0].to, ["new@example.org"]);
    let created = users::find_by_email(&site.pool, "new@example.org").await.unwrap().unwrap();
    assert_eq!(created.role, Role::User);
}

#[tokio::test]
async fn closed_registration_refuses() {
    let site = site("closed").await;
    let refused = site.post("/api/auth/register", None, json!({"email": "me@example.org"})).await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn an_admin_resets_a_users_factors_and_a_new_enrolment_link_goes_by_mail() {
    let site = site("invite").await;
    let admin = users::create(&site.pool, "admin@example.org", Role::Admin).await.unwrap();
    let session = sessions::create(&site.pool, admin.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);
    let lost = users::create(&site.pool, "lost-phone@example.org", Role::User).await.unwrap();
    stingd::identity::factors::set_password(&site.pool, lost.id, "their old long password").await.unwrap();
    stingd::identity::factors::enrol_totp(&site.pool, site.vault(), lost.id, &lost.email).await.unwrap();
    let codes = stingd::identity::factors::new_recovery_codes(&site.pool, lost.id).await.unwrap();
    let theirs = sessions::create(&site.pool, lost.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(site.get("/api/me", &format!("{}={theirs}", sessions::COOKIE_NAME)).await.status(), 200);
    // A token whoever had the account made: a reset for a compromise must stop it too.
    let token = site
        .post(
            "/api/tokens",
            Some(&format!("{}={theirs}", sessions::COOKIE_NAME)),
            json!({"name": "x", "scopes": ["read"]}),
        )
        .await;
    let token = token.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let me_by_token = || site.stingd.http.get(format!("{}/api/me", site.stingd.base)).bearer_auth(&token).send();
    assert_eq!(me_by_token().await.unwrap().status(), 200);

    let reset = site.post(&format!("/api/admin/users/{}/reset-factors", lost.id), Some(&cookie), json!({})).await;
    assert_eq!(reset.status(), 200);
    let answer: Value = reset.json().await.unwrap();
    assert_eq!(answer["enrolment_link_mailed"], true);
    assert_eq!((answer["tokens_revoked"].as_u64(), answer["sessions_ended"].as_u64()), (Some(1), Some(1)), "{answer}");
    assert_eq!(me_by_token().await.unwrap().status(), 401, "their API tokens are revoked");
    let theirs_cookie = format!("{}={theirs}", sessions::COOKIE_NAME);
    assert_eq!(site.get("/api/me", &theirs_cookie).await.status(), 401, "their sessions ended");
    assert!(
        stingd::identity::factors::verify_password(&site.pool, &lost.email, "their old long password")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!stingd::identity::factors::use_recovery_code(&site.pool, lost.id, &codes[0]).await.unwrap());
    let totp: i64 = sqlx::query_scalar("SELECT count(*) FROM totp_factors").fetch_one(&site.pool).await.unwrap();
    assert_eq!(totp, 0);
    let mails = site.mail.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, ["lost-phone@example.org"]);
    let token = site.link_secret(&mails[0].data, "/enrol");
    assert_eq!(site.post("/api/auth/enrol", None, json!({"token": token})).await.status(), 200);

    let unknown =
        site.post(&format!("/api/admin/users/{}/reset-factors", uuid::Uuid::new_v4()), Some(&cookie), json!({})).await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn without_a_mail_server_an_invitation_returns_its_link_and_mailed_links_are_refused() {
    let site = Site::start("  registration: open\n  smtp:\n    host: null\n").await;
    let admin = users::create(&site.pool, "admin@example.org", Role::Admin).await.unwrap();
    let session = sessions::create(&site.pool, admin.id, Aal::Two, Duration::from_secs(3600)).await.unwrap();
    let cookie = format!("{}={session}", sessions::COOKIE_NAME);

    let invited = site.post("/api/admin/invitations", Some(&cookie), json!({"email": "new@example.org"})).await;
    assert_eq!(invited.status(), 201);
    let body: Value = invited.json().await.unwrap();
    assert_eq!(body["enrolment_link_mailed"], false);
    let link = body["enrolment_link"].as_str().expect("the link for the admin to pass on");
    let token = link.strip_prefix(&format!("{}/enrol#", site.origin)).expect(link);
    assert_eq!(site.post("/api/auth/enrol", None, json!({"token": token})).await.status(), 200);

    for (path, body) in [
        ("/api/auth/magic-link", json!({"email": "admin@example.org"})),
        ("/api/auth/register", json!({"email": "x@example.org"})),
    ] {
        let refused = site.post(path, None, body).await;
        assert_eq!(refused.status(), 503, "{path}");
        let error: Value = refused.json().await.unwrap();
        assert_eq!(error["error"]["code"], "mail_disabled", "{path}: {error}");
    }
    assert!(users::find_by_email(&site.pool, "x@example.org").await.unwrap().is_none(), "an account nobody can enrol");
    assert!(site.mail.mails().is_empty(), "mail went out with no mail server configured");
}
