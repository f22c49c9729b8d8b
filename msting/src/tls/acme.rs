//! Certificates from an ACME CA (Let's Encrypt, or any RFC 8555 server) by HTTP-01, with
//! instant-acme. The account is kept (its key 0400) and reused. The challenge is answered either
//! by files in stingd's challenge folder, which stingd serves on its HTTP port, or by a listener
//! of msting's own on that port while stingd is not running. Errors from the CA are shown as its
//! problem document says them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

use super::Name;

#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("the CA refused: {detail} ({kind})")]
    Refused { kind: String, detail: String },
    #[error("cannot talk to the ACME server at {directory}: {reason}")]
    Unreachable { directory: String, reason: String },
    #[error("the order ended {status}: {detail}")]
    Order { status: String, detail: String },
    #[error("ACME issues certificates for DNS names only, not for {0}")]
    NotADomain(String),
    #[error("{domain} does not resolve from this host ({reason}): point its DNS at this host first")]
    DoesNotResolve { domain: String, reason: String },
    #[error(
        "port {port} is taken by another program, and it is not stingd serving {dir}: stop it, or start stingd, so the CA can reach the challenge"
    )]
    PortTaken { port: u16, dir: String },
    #[error("{path}: {reason}")]
    Account { path: String, reason: String },
    #[error("{0}")]
    Io(String),
}

impl AcmeError {
    fn from_acme(directory: &str, error: instant_acme::Error) -> Self {
        match error {
            instant_acme::Error::Api(problem) => Self::Refused {
                kind: problem.r#type.clone().unwrap_or_else(|| "no type".into()),
                detail: problem.detail.clone().unwrap_or_else(|| problem.to_string()),
            },
            other => Self::Unreachable { directory: directory.to_string(), reason: other.to_string() },
        }
    }
}

/// How the CA's HTTP-01 request is answered.
#[derive(Clone, Debug)]
pub enum Responder {
    /// stingd serves this folder at `/.well-known/acme-challenge/`.
    Folder(PathBuf),
    /// msting listens here itself until the order is done.
    Listener(SocketAddr),
}

pub struct Request<'a> {
    pub directory: &'a str,
    pub email: Option<&'a str>,
    pub names: &'a [Name],
    /// A root to trust for the directory's HTTPS (a test CA such as Pebble).
    pub ca_root: Option<&'a Path>,
    /// Where the account's credentials are kept.
    pub account_file: &'a Path,
    pub responder: Responder,
}

pub struct Issued {
    pub chain_pem: String,
    pub key_pem: Zeroizing<String>,
}

async fn account(request: &Request<'_>) -> Result<Account, AcmeError> {
    let directory = request.directory;
    let builder = match request.ca_root {
        Some(root) => Account::builder_with_root(root),
        None => Account::builder(),
    }
    .map_err(|e| AcmeError::from_acme(directory, e))?;
    let path = request.account_file;
    let bad = |reason: String| AcmeError::Account { path: path.display().to_string(), reason };
    if path.exists() {
        let saved = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?);
        let credentials: AccountCredentials = serde_json::from_str(&saved).map_err(|e| bad(e.to_string()))?;
        return builder.from_credentials(credentials).await.map_err(|e| AcmeError::from_acme(directory, e));
    }
    let contact = request.email.map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
    let (account, credentials) =
        builder.create(&new, directory.to_string(), None).await.map_err(|e| AcmeError::from_acme(directory, e))?;
    let json = Zeroizing::new(serde_json::to_string(&credentials).map_err(|e| bad(e.to_string()))?);
    if let Some(dir) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| bad(e.to_string()))?;
    }
    crate::fsio::atomic_write(path, json.as_bytes(), Some(0o400)).map_err(|e| bad(format!("{e:#}")))?;
    Ok(account)
}

/// Answers for the tokens of one order.
type Answers = Arc<Mutex<Vec<(String, String)>>>;

/// A certificate for `request.names`, the challenge answered as `request.responder` says.
pub async fn issue(request: &Request<'_>) -> Result<Issued, AcmeError> {
    let directory = request.directory;
    let acme = |e| AcmeError::from_acme(directory, e);
    let mut identifiers = Vec::new();
    for name in request.names {
        match name {
            Name::Dns(dns) => identifiers.push(Identifier::Dns(dns.clone())),
            Name::Ip(ip) => return Err(AcmeError::NotADomain(ip.to_string())),
        }
    }
    let account = account(request).await?;
    let answers: Answers = Arc::default();
    let listener = match &request.responder {
        Responder::Listener(address) => Some(spawn_listener(*address, answers.clone()).await?),
        Responder::Folder(_) => None,
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let result = async {
        let mut order = account.new_order(&NewOrder::new(&identifiers)).await.map_err(acme)?;
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization.map_err(acme)?;
            if authorization.status == AuthorizationStatus::Valid {
                continue;
            }
            let mut challenge = authorization.challenge(ChallengeType::Http01).ok_or_else(|| AcmeError::Order {
                status: "without an HTTP-01 challenge".into(),
                detail: "this CA does not offer HTTP-01 for the name".into(),
            })?;
            let token = challenge.token.clone();
            let answer = challenge.key_authorization().as_str().to_string();
            match &request.responder {
                Responder::Folder(dir) => {
                    let path = challenge_file(dir, &token)?;
                    write_readable(&path, &answer)?;
                    written.push(path);
                }
                Responder::Listener(_) => answers.lock().expect("answers lock").push((token, answer)),
            }
            challenge.set_ready().await.map_err(acme)?;
        }
        let status = order.poll_ready(&RetryPolicy::default()).await.map_err(acme)?;
        if status != OrderStatus::Ready {
            let detail = order
                .state()
                .error
                .as_ref()
                .map(|p| p.detail.clone().unwrap_or_default())
                .unwrap_or_else(|| "the CA could not validate the challenge".into());
            return Err(AcmeError::Order { status: format!("{status:?}").to_lowercase(), detail });
        }
        let key_pem = Zeroizing::new(order.finalize().await.map_err(acme)?);
        let chain_pem = order.poll_certificate(&RetryPolicy::default()).await.map_err(acme)?;
        Ok(Issued { chain_pem, key_pem })
    }
    .await;
    for path in written {
        let _ = std::fs::remove_file(path);
    }
    if let Some(listener) = listener {
        listener.abort();
    }
    result
}

/// Where the answer for `token` goes in the challenge folder. The token comes from the CA: one
/// that is not base64url (a `/`, a `..`) would name a file outside the folder, so it is refused.
fn challenge_file(dir: &Path, token: &str) -> Result<PathBuf, AcmeError> {
    if !sting_config::Acme::is_challenge_token(token) {
        return Err(AcmeError::Order {
            status: "with a malformed challenge".into(),
            detail: format!(
                "the CA sent the token \"{}\", which is not base64url: it names no file",
                token.escape_debug()
            ),
        });
    }
    Ok(dir.join(token))
}

/// A challenge answer stingd (another user) can read: the file is world-readable, since the
/// answer is public by design. A folder msting makes is world-traversable; one that exists
/// keeps the mode its owner gave it (the installer makes it so stingd can read it).
fn write_readable(path: &Path, content: &str) -> Result<(), AcmeError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let io = |e: std::io::Error| AcmeError::Io(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        if !dir.is_dir() {
            std::fs::DirBuilder::new().recursive(true).mode(0o755).create(dir).map_err(io)?;
        }
    }
    std::fs::write(path, content).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).map_err(io)
}

/// A minimal HTTP server for `/.well-known/acme-challenge/<token>`, only while an order runs.
async fn spawn_listener(address: SocketAddr, answers: Answers) -> Result<tokio::task::JoinHandle<()>, AcmeError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| AcmeError::Io(format!("cannot listen on {address} for the ACME challenge: {e}")))?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            let answers = answers.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 4096];
                let read =
                    match tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut request)).await {
                        Ok(Ok(n)) => n,
                        _ => return,
                    };
                let head = String::from_utf8_lossy(&request[..read]);
                let path = head.lines().next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("");
                let token = path.strip_prefix("/.well-known/acme-challenge/").unwrap_or("");
                let found =
                    answers.lock().expect("answers lock").iter().find(|(t, _)| t == token).map(|(_, a)| a.clone());
                let response = match found {
                    Some(answer) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    ),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    }))
}

/// Checks before ordering: the names resolve, and the HTTP port is free for msting's listener or
/// served by stingd from `folder`. Returns how to answer the challenge.
pub async fn preflight(names: &[Name], http_port: u16, folder: &Path, check_dns: bool) -> Result<Responder, AcmeError> {
    if check_dns {
        for name in names {
            let Name::Dns(domain) = name else { return Err(AcmeError::NotADomain(name.to_string())) };
            match tokio::net::lookup_host((domain.as_str(), 80)).await.map(|mut found| found.next()) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(AcmeError::DoesNotResolve { domain: domain.clone(), reason: "no address".into() });
                }
                Err(e) => return Err(AcmeError::DoesNotResolve { domain: domain.clone(), reason: e.to_string() }),
            }
        }
    }
    let address = SocketAddr::from(([0, 0, 0, 0], http_port));
    match std::net::TcpListener::bind(address) {
        Ok(probe) => {
            drop(probe);
            Ok(Responder::Listener(address))
        }
        Err(_) => {
            // Taken: fine if it is stingd serving the challenge folder. Ask it for a probe file.
            let token = format!("sting-probe-{}", std::process::id());
            let path = folder.join(&token);
            write_readable(&path, "probe")?;
            let served = probe_challenge(http_port, &token).await;
            let _ = std::fs::remove_file(&path);
            if served.as_deref() == Some("probe") {
                Ok(Responder::Folder(folder.to_path_buf()))
            } else {
                Err(AcmeError::PortTaken { port: http_port, dir: folder.display().to_string() })
            }
        }
    }
}

/// GET `/.well-known/acme-challenge/<token>` on 127.0.0.1:`port`, the body if 200.
async fn probe_challenge(port: u16, token: &str) -> Option<String> {
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request =
        format!("GET /.well-known/acme-challenge/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), socket.read_to_end(&mut response)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// What `msting setup-ssl --acme` and ACME renewals are given besides the config.
pub struct Options {
    pub directory: String,
    pub email: Option<String>,
    pub names: Vec<Name>,
    pub ca_root: Option<PathBuf>,
    pub check_dns: bool,
}

impl Options {
    /// From the config (`system.domain`, `tls.extra_names`, `tls.acme`), overridden by flags.
    pub fn from_config(
        config: &sting_config::Config,
        domain: Option<&str>,
        email: Option<&str>,
        directory: Option<&str>,
        ca_root: Option<&Path>,
        check_dns: bool,
    ) -> Result<Self, super::TlsError> {
        let mut names = vec![Name::parse(domain.unwrap_or(&config.system.domain))?];
        for extra in &config.tls.extra_names {
            let name = Name::parse(extra)?;
            if matches!(name, Name::Dns(_)) && !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(Self {
            directory: directory.unwrap_or(&config.tls.acme.directory_url).to_string(),
            email: email.map(str::to_string).or_else(|| config.tls.acme.email.clone()),
            names,
            ca_root: ca_root.map(Path::to_path_buf),
            check_dns,
        })
    }
}

/// Where the ACME account is kept.
pub fn account_file(config: &sting_config::Config) -> PathBuf {
    config.paths.secrets_dir.join("acme").join("account.json")
}

/// stingd's challenge folder (served at `/.well-known/acme-challenge/` on its HTTP port).
pub fn challenge_dir(config: &sting_config::Config) -> PathBuf {
    config.paths.certs_dir.join("acme-challenge")
}

/// Preflight, order, install: a certificate from the CA for `options.names`, in place for stingd.
pub async fn obtain(
    config: &sting_config::Config,
    options: &Options,
    now: time::OffsetDateTime,
) -> anyhow::Result<super::inspect::CertInfo> {
    let folder = challenge_dir(config);
    let responder = preflight(&options.names, config.services.stingd.http_port, &folder, options.check_dns).await?;
    let account_file = account_file(config);
    let request = Request {
        directory: &options.directory,
        email: options.email.as_deref(),
        names: &options.names,
        ca_root: options.ca_root.as_deref(),
        account_file: &account_file,
        responder,
    };
    let issued = issue(&request).await?;
    // Checked against the time it arrived, not the time the command started.
    let now = now.max(time::OffsetDateTime::now_utc());
    Ok(super::install::install(&config.paths.certs_dir, &issued.chain_pem, &issued.key_pem, &options.names, now)?)
}

/// When the CA says to renew: its ARI window (RFC 9773) for the certificate in `chain_pem`, or
/// `None` when it offers none (then the third-of-lifetime rule applies).
pub async fn renewal_window(
    options: &Options,
    account_file: &Path,
    chain_pem: &str,
) -> Result<Option<(time::OffsetDateTime, time::OffsetDateTime)>, AcmeError> {
    if !account_file.exists() {
        return Ok(None);
    }
    let Some(Ok(block)) = x509_parser::pem::Pem::iter_from_buffer(chain_pem.as_bytes()).next() else {
        return Ok(None);
    };
    let der = rustls::pki_types::CertificateDer::from(block.contents);
    let Ok(id) = instant_acme::CertificateIdentifier::try_from(&der) else {
        return Ok(None);
    };
    let request = Request {
        directory: &options.directory,
        email: options.email.as_deref(),
        names: &options.names,
        ca_root: options.ca_root.as_deref(),
        account_file,
        responder: Responder::Folder(PathBuf::new()),
    };
    let account = account(&request).await?;
    match account.renewal_info(&id).await {
        Ok((info, _)) => Ok(Some((info.suggested_window.start, info.suggested_window.end))),
        Err(instant_acme::Error::Unsupported(_)) => Ok(None),
        Err(e) => Err(AcmeError::from_acme(&options.directory, e)),
    }
}

/// Whether to renew now: inside (or past) the CA's window when it gave one, else with a third of
/// the lifetime or less left.
pub fn due(
    window: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    current: &super::inspect::CertInfo,
    names: &[Name],
    now: time::OffsetDateTime,
) -> bool {
    let missing = !names.iter().all(|n| current.covers(n));
    match window {
        Some((start, _)) => missing || now >= start,
        None => super::local::due(current, names, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Duration, OffsetDateTime};

    #[test]
    fn a_token_that_is_not_base64url_names_no_file_and_existing_folders_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("acme-challenge");
        std::fs::create_dir(&folder).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o750)).unwrap();
        for bad in ["../../etc/cron.d/x", "a/b", "..", "", "tok en", &"a".repeat(257)] {
            let refused = challenge_file(&folder, bad).unwrap_err().to_string();
            assert!(refused.contains("not base64url"), "{bad}: {refused}");
        }
        let good = challenge_file(&folder, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0").unwrap();
        assert_eq!(good.parent(), Some(folder.as_path()));
        write_readable(&good, "answer").unwrap();
        assert_eq!(
            std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777,
            0o750,
            "the folder's mode is its owner's"
        );
        assert_eq!(std::fs::metadata(&good).unwrap().permissions().mode() & 0o777, 0o644);
    }

    fn cert(not_before: OffsetDateTime, not_after: OffsetDateTime) -> super::super::inspect::CertInfo {
        super::super::inspect::CertInfo {
            subject: String::new(),
            issuer: String::new(),
            names: vec!["sting.example".into()],
            not_before: not_before.unix_timestamp(),
            not_after: not_after.unix_timestamp(),
            is_ca: false,
            serial: "01".into(),
            public_key: Vec::new(),
        }
    }

    #[test]
    fn the_cas_window_decides_when_it_gives_one() {
        let now = OffsetDateTime::now_utc();
        let names = [Name::Dns("sting.example".into())];
        // Plenty of life left, but the CA asks for renewal now (a revocation, say).
        let young = cert(now - Duration::days(1), now + Duration::days(89));
        assert!(due(Some((now - Duration::hours(1), now + Duration::hours(5))), &young, &names, now));
        assert!(!due(Some((now + Duration::days(50), now + Duration::days(52))), &young, &names, now));
        // No window: a third of the lifetime.
        assert!(!due(None, &young, &names, now));
        let old = cert(now - Duration::days(70), now + Duration::days(20));
        assert!(due(None, &old, &names, now));
        // A name the certificate lacks makes it due whatever the window says.
        let other = [Name::Dns("other.example".into())];
        assert!(due(Some((now + Duration::days(50), now + Duration::days(52))), &young, &other, now));
    }
}
