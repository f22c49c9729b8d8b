//! A whole stingd for benchmarks and evaluations, as installed: OpenBao (documents sealed with
//! their own keys), PostgreSQL, stingd from a given binary (usually the release build), and a
//! signed-in user to make requests as. Rate limits are lifted so the load is the measurement's.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sting_vault::{Secret, approle, kv};

use crate::bao::{ReadyVault, test_plan};
use crate::env::require_path;
use crate::postgres::PostgresInstance;
use crate::{ChildGuard, Component, free_port, wait_for_http};

/// The name stingd gives its session cookie (`identity::sessions::COOKIE_NAME`; this crate does
/// not link stingd).
const SESSION_COOKIE: &str = "__Host-sting_session";

pub struct BenchSite {
    pub http: reqwest::Client,
    pub base: String,
    /// The signed-in user's session cookie, and the origin their state-changing requests need.
    pub cookie: String,
    pub origin: String,
    stingd: ChildGuard,
    _dir: tempfile::TempDir,
    _pg: PostgresInstance,
    _vault: ReadyVault,
}

impl BenchSite {
    /// `sections` are more top-level config sections (`honey_jars`, `pii`, `bee`, `llm`...);
    /// without an `llm` section stingd runs with no model.
    pub async fn start(stingd_bin: &Path, sections: &str) -> anyhow::Result<Self> {
        Self::start_as(stingd_bin, sections, false).await
    }

    /// Over HTTPS, with a certificate of its own for `localhost`, as a browser needs it (the
    /// session cookie is `Secure`, and the origin must match); `base` is `https://localhost:…`.
    pub async fn start_https(stingd_bin: &Path, sections: &str) -> anyhow::Result<Self> {
        Self::start_as(stingd_bin, sections, true).await
    }

    async fn start_as(stingd_bin: &Path, sections: &str, https: bool) -> anyhow::Result<Self> {
        let ready = ReadyVault::start(&test_plan()).await;
        let pg = PostgresInstance::start();
        let login =
            [("username".to_string(), Secret::new("postgres")), ("password".to_string(), Secret::new("trusted"))];
        kv::put(&ready.root, "sting", "database/stingd", &login.into_iter().collect(), None).await?;
        let dir = tempfile::tempdir()?;
        let auth = dir.path().join("auth");
        std::fs::create_dir_all(&auth)?;
        std::fs::write(auth.join("role-id"), &ready.role_ids["stingd"])?;
        let wrapped = approle::issue_wrapped_secret_id(&ready.root, "stingd", Duration::from_secs(600)).await?;
        std::fs::write(auth.join("secret-id"), wrapped.expose())?;
        let llm = if sections.contains("llm:") {
            String::new()
        } else {
            format!("llm:\n  llama_server: {}\n  models: []\n", require_path(Component::LlamaServer).display())
        };
        let config = format!(
            "version: 1\nauth:\n  rate_limits:\n    api: 10000000/s\n    ai: 10000000/s\n    auth: 10000000/s\n    per_user:\n      api: 10000000/s\n      ai: 10000000/s\n      auth: 10000000/s\n\
             database:\n  host: 127.0.0.1\n  port: {}\n  name: postgres\n  user: postgres\n  password: vault-ref:database/stingd#password\n{llm}{sections}",
            pg.port
        );
        std::fs::write(dir.path().join("config.yml"), config)?;
        let port = free_port();
        let mut command = Command::new(stingd_bin);
        command.args(["serve", "--config"]).arg(dir.path().join("config.yml"));
        if https {
            let certs = dir.path().join("certs");
            crate::certs::write_localhost(&certs)?;
            command.env("STING_CERTS_DIR", &certs);
            command.args(["--https", &format!("127.0.0.1:{port}"), "--http", &format!("127.0.0.1:{}", free_port())]);
        } else {
            command.args(["--listen", &format!("127.0.0.1:{port}")]);
        }
        command
            .env("STING_API_KEY", "bench-key-0123456789abcdef")
            .env("STING_VAULT_ADDR", ready.bao.address())
            .env("STING_VAULT_AUTH_DIR", &auth)
            .env("STING_VAULT_TOKEN_FILE", dir.path().join("token"))
            .env("STING_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn");
        let mut stingd = ChildGuard::spawn("stingd", command);
        let base = if https { format!("https://localhost:{port}") } else { format!("http://127.0.0.1:{port}") };
        // Its own certificate, made above: nothing else is trusted by a benchmark's client.
        let http = reqwest::Client::builder().tcp_nodelay(true).danger_accept_invalid_certs(https).build()?;
        wait_for_http(&http, &format!("{base}/health/ready"), &mut stingd, Duration::from_secs(60), |s| s.is_success())
            .await;

        // A signed-in user, straight in the database stingd migrated.
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&pg.url()).await?;
        let user: String = sqlx::query_scalar(
            "INSERT INTO users (email, role) VALUES ('bench@example.org', 'user') RETURNING id::text",
        )
        .fetch_one(&pool)
        .await?;
        let session = "sess_benchmark-site-0123456789abcdefghijklmnop";
        sqlx::query("INSERT INTO sessions (id_hash, user_id, aal, expires_at) VALUES (sha256($1::bytea), $2::uuid, 2, now() + interval '1 hour')")
            .bind(session.as_bytes())
            .bind(&user)
            .execute(&pool)
            .await?;
        Ok(Self {
            http,
            base,
            cookie: format!("{SESSION_COOKIE}={session}"),
            origin: format!("https://localhost:{port}"),
            stingd,
            _dir: dir,
            _pg: pg,
            _vault: ready,
        })
    }

    /// A POST as the signed-in user.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).header("origin", &self.origin)
    }

    /// A GET as the signed-in user.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie)
    }

    /// A new jar of the user's; its id.
    pub async fn new_jar(&self, name: &str) -> anyhow::Result<String> {
        let jar: serde_json::Value =
            self.post("/api/jars").json(&serde_json::json!({ "name": name })).send().await?.json().await?;
        jar["id"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("cannot create a jar: {jar}"))
    }

    /// stingd's output so far (for a failure's report).
    pub fn output(&self) -> String {
        self.stingd.output()
    }
}
