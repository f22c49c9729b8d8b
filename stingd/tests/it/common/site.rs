//! A stingd with identity on: a PostgreSQL server and an OpenBao of the test's own (the world
//! of [`jars_world`](super::jars_world): TOTP secrets are sealed by Vault), a capturing SMTP
//! server, and helpers to post as a browser of the site would (with its Origin).

use std::time::Duration;

use serde_json::Value;
use sting_e2e::smtp::SmtpSink;
use sting_vault::Vault;

use super::jars_world::{World, stingd_on_with, world};
use super::{Stingd, model};

pub struct Site {
    pub stingd: Stingd,
    pub pool: sqlx::PgPool,
    pub mail: SmtpSink,
    /// `https://localhost:PORT`, the origin stingd accepts cookie state changes from.
    pub origin: String,
    /// The site's database server (to restart it, say) and Vault.
    pub world: World,
}

impl Site {
    /// `auth_extra` adds keys under `auth:` (indented two spaces), such as `  registration: open\n`;
    /// an `smtp:` of its own replaces the capturing server's.
    pub async fn start(auth_extra: &str) -> Self {
        Self::start_with_models(auth_extra, &[model("bee", "")]).await
    }

    /// The same, with these `llm.models` entries (see [`model`]).
    pub async fn start_with_models(auth_extra: &str, models: &[String]) -> Self {
        Self::start_full(auth_extra, models, "", false).await
    }

    /// Served over HTTPS (a self-signed certificate for localhost), as a browser needs it.
    pub async fn start_https(auth_extra: &str) -> Self {
        Self::start_full(auth_extra, &[model("bee", "")], "", true).await
    }

    /// Over HTTPS, with these models and more config sections (`bee:`, `pii:`…).
    pub async fn start_https_with(auth_extra: &str, models: &[String], sections: &str) -> Self {
        Self::start_full(auth_extra, models, sections, true).await
    }

    async fn start_full(auth_extra: &str, models: &[String], more_sections: &str, https: bool) -> Self {
        let world = world().await;
        let pool = world.pool.clone();
        let mail = SmtpSink::start().await;
        let rates = if auth_extra.contains("rate_limits:") {
            ""
        } else {
            "  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: 100000/s\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n"
        };
        let smtp = if auth_extra.contains("  smtp:") {
            String::new()
        } else {
            format!(
                "  smtp:\n    host: 127.0.0.1\n    port: {}\n    security: none\n    from: STING <sting@example.org>\n",
                mail.port
            )
        };
        // Every method on, unless the test chooses (the default leaves `password` out).
        let methods =
            if auth_extra.contains("  methods:") { "" } else { "  methods: [magic-link, passkey, totp, password]\n" };
        let sections = format!("auth:\n{rates}{methods}{auth_extra}{smtp}{more_sections}");
        let certs = world.files.path().join(format!("certs-{}", uuid::Uuid::new_v4()));
        if https {
            sting_e2e::certs::write_localhost(&certs).unwrap();
        }
        let extra: Vec<(&str, &str)> =
            if https { vec![("STING_CERTS_DIR", certs.to_str().unwrap())] } else { Vec::new() };
        let (stingd, _) = stingd_on_with(&world, models, &sections, &extra).await;
        let origin = format!("https://localhost:{}", stingd.base.rsplit(':').next().unwrap());
        Self { stingd, pool, mail, origin, world }
    }

    /// Vault, as its root: what the tests seal and open TOTP secrets with.
    pub fn vault(&self) -> &Vault {
        &self.world.root
    }

    pub async fn post(&self, path: &str, cookie: Option<&str>, body: Value) -> reqwest::Response {
        let mut request =
            self.stingd.http.post(format!("{}{path}", self.stingd.base)).header("origin", &self.origin).json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// A request as the holder of `cookie`, from this site's origin (as a page's script sends it).
    pub fn request(&self, method: reqwest::Method, path: &str, cookie: &str) -> reqwest::RequestBuilder {
        self.stingd
            .http
            .request(method, format!("{}{path}", self.stingd.base))
            .header("cookie", cookie)
            .header("origin", &self.origin)
    }

    pub async fn get(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.stingd.http.get(format!("{}{path}", self.stingd.base)).header("cookie", cookie).send().await.unwrap()
    }

    /// The secret after `{origin}{path}#` in a mail, with quoted-printable soft breaks undone
    /// as a mail client would.
    pub fn link_secret(&self, mail: &str, path: &str) -> String {
        let mail = mail.replace("=\n", "").replace("=3D", "=");
        let prefix = format!("{}{path}#", self.origin);
        let line =
            mail.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {prefix} link in:\n{mail}"));
        line[prefix.len()..].trim().to_string()
    }
}

/// The `name=value` part of the session cookie a response sets, checking its attributes.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_string()
}

/// A session cookie for `user` at `aal`, valid for an hour.
pub async fn cookie_for(pool: &sqlx::PgPool, user: uuid::Uuid, aal: stingd::identity::credential::Aal) -> String {
    use stingd::identity::sessions;
    let id = sessions::create(pool, user, aal, Duration::from_secs(3600)).await.unwrap();
    format!("{}={id}", sessions::COOKIE_NAME)
}

/// A first-factor (AAL1) session cookie for `user`, as an enrolment or a magic link gives.
pub async fn first_factor_cookie(pool: &sqlx::PgPool, user: uuid::Uuid) -> String {
    cookie_for(pool, user, stingd::identity::credential::Aal::One).await
}

/// A new account with `role`, and a session cookie for it at `aal`.
pub async fn new_account(
    pool: &sqlx::PgPool,
    email: &str,
    role: stingd::identity::users::Role,
    aal: stingd::identity::credential::Aal,
) -> (uuid::Uuid, String) {
    let user = stingd::identity::users::create(pool, email, role).await.unwrap();
    (user.id, cookie_for(pool, user.id, aal).await)
}

/// The code an authenticator app shows for the base32 `secret` at `at` (Unix seconds).
pub fn totp_code(secret: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_step_duration(30)
        .build_noncompliant()
        .generate(at)
        .to_string()
}
