//! The connection to Vault: its address, the CA that signed its certificate, and the token in
//! use. Plain HTTP calls for what `vaultrs` does not wrap, and a `vaultrs` client for the rest,
//! both mapping Vault's answers to [`VaultError`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

use crate::error::summarise;
use crate::{Secret, VaultError};

/// Where Vault is, and how to trust its certificate.
#[derive(Clone, Debug)]
pub struct Connection {
    /// `https://127.0.0.1:8200` (or `http://` for a loopback test server).
    pub address: String,
    /// The PEM certificate of the CA that signed Vault's (the stack's local CA).
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone)]
pub struct Vault {
    connection: Arc<Connection>,
    http: reqwest::Client,
    token: Option<Secret>,
}

impl Vault {
    pub fn new(connection: Connection) -> Result<Self, VaultError> {
        Self::build(connection, None)
    }

    /// The same server, presenting a client certificate (`identity_pem`: the certificate chain
    /// and its PKCS#8 key, PEM) in the TLS handshake, for a certificate login.
    pub fn with_client_certificate(connection: Connection, identity_pem: &Secret) -> Result<Self, VaultError> {
        let identity = reqwest::Identity::from_pem(identity_pem.expose().as_bytes())
            .map_err(|_| VaultError::Setup("the client certificate or its key is not valid PEM".into()))?;
        Self::build(connection, Some(identity))
    }

    fn build(connection: Connection, identity: Option<reqwest::Identity>) -> Result<Self, VaultError> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = &connection.ca_file {
            let pem =
                std::fs::read(ca).map_err(|source| VaultError::File { path: ca.display().to_string(), source })?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| VaultError::Setup(format!("{} is not a PEM certificate: {e}", ca.display())))?;
            builder = builder.add_root_certificate(cert);
        }
        if let Some(identity) = identity {
            builder = builder.identity(identity);
        }
        let http = builder.build().map_err(|e| VaultError::Setup(e.to_string()))?;
        Ok(Self { connection: Arc::new(connection), http, token: None })
    }

    /// The same connection, acting with `token`.
    pub fn with_token(&self, token: Secret) -> Self {
        Self { token: Some(token), ..self.clone() }
    }

    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    pub fn address(&self) -> &str {
        &self.connection.address
    }

    /// A plain call to `/v1/{path}`. `Ok(None)` for an empty answer (204).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Option<Value>, VaultError> {
        self.send(method, path, body, None, self.token.as_ref()).await
    }

    /// The same, with the answer response-wrapped for `wrap_ttl` (`"1h"`): Vault keeps it and
    /// returns a single-use wrapping token instead.
    pub async fn call_wrapped(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        wrap_ttl: &str,
    ) -> Result<Secret, VaultError> {
        let answer = self.send(method, path, body, Some(wrap_ttl), self.token.as_ref()).await?;
        answer.as_ref().and_then(|a| a.pointer("/wrap_info/token")).and_then(Value::as_str).map(Secret::new).ok_or_else(
            || VaultError::Unexpected { path: path.into(), reason: "no wrapping token in the answer".into() },
        )
    }

    /// The status code of `GET /v1/sys/health`: 200 active, 429 standby, 501 not initialised,
    /// 503 sealed (its codes are its answer, so they are not errors here).
    pub async fn health_code(&self) -> Result<u16, VaultError> {
        let url = format!("{}/v1/sys/health", self.address().trim_end_matches('/'));
        let response = self.http.get(&url).send().await.map_err(|e| self.unreachable(&e))?;
        Ok(response.status().as_u16())
    }

    /// Streams the answer of `GET /v1/{path}` (a raft snapshot: binary, of any size) into
    /// `sink`, without the short timeout of other calls; returns the bytes written.
    pub async fn download(&self, path: &str, sink: &mut (dyn std::io::Write + Send)) -> Result<u64, VaultError> {
        let url = format!("{}/v1/{path}", self.address().trim_end_matches('/'));
        let mut request = self.http.get(&url).timeout(Duration::from_secs(6 * 3600));
        if let Some(token) = &self.token {
            request = request.header("X-Vault-Token", token.expose());
        }
        let mut response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(self.classify_answer(status.as_u16(), path, &text));
        }
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.unreachable(&e))? {
            sink.write_all(&chunk).map_err(|e| VaultError::Unexpected {
                path: path.into(),
                reason: format!("cannot keep the answer: {e}"),
            })?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// Sends `body` as the raw request body of `POST /v1/{path}` (a raft snapshot to restore),
    /// without the short timeout of other calls.
    pub async fn upload(&self, path: &str, body: Vec<u8>) -> Result<(), VaultError> {
        let url = format!("{}/v1/{path}", self.address().trim_end_matches('/'));
        let mut request = self.http.post(&url).timeout(Duration::from_secs(6 * 3600)).body(body);
        if let Some(token) = &self.token {
            request = request.header("X-Vault-Token", token.expose());
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(self.classify_answer(status.as_u16(), path, &text))
    }

    /// Opens a wrapping token (once: Vault forgets it then).
    pub async fn unwrap(&self, wrapping_token: &Secret) -> Result<Value, VaultError> {
        self.send(Method::POST, "sys/wrapping/unwrap", None, None, Some(wrapping_token))
            .await
            .map_err(|e| match e {
                VaultError::Denied { .. } | VaultError::Api { status: 400, .. } => VaultError::Refused {
                    what: "the wrapped secret".into(),
                    reason: "it was already opened, or has expired: issue a new one".into(),
                },
                other => other,
            })?
            .ok_or_else(|| VaultError::Unexpected { path: "sys/wrapping/unwrap".into(), reason: "empty answer".into() })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        wrap_ttl: Option<&str>,
        token: Option<&Secret>,
    ) -> Result<Option<Value>, VaultError> {
        let url = format!("{}/v1/{path}", self.address().trim_end_matches('/'));
        let mut request = self.http.request(method, &url);
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token.expose());
        }
        if let Some(ttl) = wrap_ttl {
            request = request.header("X-Vault-Wrap-TTL", ttl);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(None);
            }
            return serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| VaultError::Unexpected { path: path.into(), reason: "the answer is not JSON".into() });
        }
        Err(self.classify_answer(status.as_u16(), path, &text))
    }

    /// An error answer's body (`{"errors": [...]}`, or anything else), as a `VaultError`.
    fn classify_answer(&self, status: u16, path: &str, body: &str) -> VaultError {
        let errors: Vec<String> = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("errors").cloned())
            .and_then(|e| serde_json::from_value(e).ok())
            .unwrap_or_default();
        self.classify(status, path, &errors)
    }

    /// Vault's error statuses, as `VaultError`s.
    pub(crate) fn classify(&self, status: u16, path: &str, errors: &[String]) -> VaultError {
        let text = errors.join(" ").to_lowercase();
        let address = self.address().to_string();
        match status {
            503 if text.contains("sealed") => VaultError::Sealed { address },
            400 | 503 if text.contains("not initialized") => VaultError::NotInitialised { address },
            403 => VaultError::Denied { path: path.into() },
            404 => VaultError::NotFound { path: path.into() },
            _ => VaultError::Api { status, path: path.into(), message: summarise(errors) },
        }
    }

    fn unreachable(&self, error: &reqwest::Error) -> VaultError {
        let mut reason = if error.is_timeout() { "timed out".to_string() } else { "connection failed".to_string() };
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            reason = format!("{reason}: {cause}");
            source = cause.source();
        }
        VaultError::Unreachable { address: self.address().into(), reason }
    }

    /// A `vaultrs` client for the same server and token. Its settings are explicit, so that no
    /// `VAULT_*` variable of the environment changes where it goes.
    pub fn vaultrs(&self) -> Result<VaultClient, VaultError> {
        let mut settings = VaultClientSettingsBuilder::default();
        settings
            .address(self.address())
            .token(self.token.as_ref().map(|t| t.expose().to_string()).unwrap_or_default())
            .timeout(Some(Duration::from_secs(30)))
            .verify(true)
            .ca_certs(self.connection.ca_file.iter().map(|p| p.display().to_string()).collect());
        let settings = settings.build().map_err(|e| VaultError::Setup(e.to_string()))?;
        VaultClient::new(settings).map_err(|e| VaultError::Setup(e.to_string()))
    }

    /// A `vaultrs` error, as a `VaultError` (without any response content).
    pub(crate) fn map_vaultrs_error(&self, path: &str, error: vaultrs::error::ClientError) -> VaultError {
        use vaultrs::error::ClientError;
        match error {
            ClientError::APIError { code, errors } => self.classify(code, path, &errors),
            ClientError::RestClientError { source } => {
                use rustify::errors::ClientError as Rest;
                match source {
                    Rest::RequestError { source, .. } | Rest::ResponseError { source } => {
                        VaultError::Unreachable { address: self.address().into(), reason: format!("{source:#}") }
                    }
                    Rest::ServerResponseError { code, content } => {
                        let errors: Vec<String> = content
                            .and_then(|c| serde_json::from_str::<Value>(&c).ok())
                            .and_then(|v| v.get("errors").cloned())
                            .and_then(|e| serde_json::from_value(e).ok())
                            .unwrap_or_default();
                        self.classify(code, path, &errors)
                    }
                    // The others carry the response's content: only their kind is kept.
                    other => VaultError::Unexpected { path: path.into(), reason: other.to_string() },
                }
            }
            ClientError::ResponseEmptyError | ClientError::ResponseDataEmptyError => {
                VaultError::NotFound { path: path.into() }
            }
            other => VaultError::Unexpected { path: path.into(), reason: other.to_string() },
        }
    }
}
