//! HTTPS for the front door: the certificate and key from the certificate folder, reloaded
//! without a restart when they change, and a listener that completes TLS handshakes off the
//! accept path (a slow or hostile client cannot stall others).
//!
//! The folder is watched, not the files: tools replace a certificate by writing a new file and
//! renaming it over the old one, which a watch on the old file would never see. A certificate
//! that fails to load leaves the previous one serving.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The certificate chain (PEM), leaf first, in the certificate folder.
pub const CERT_FILE: &str = "server.crt";
/// Its private key (PEM).
pub const KEY_FILE: &str = "server.key";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("{path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("the key in {path} cannot be used: {source}")]
    Key { path: PathBuf, source: rustls::Error },
    #[error("the key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot watch {path} for new certificates: {source}")]
    Watch { path: PathBuf, source: notify::Error },
}

/// The certificate being served, replaced in place when the folder changes.
#[derive(Debug)]
pub struct CertStore {
    dir: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    pub fn load(dir: &Path) -> Result<Arc<Self>, TlsError> {
        let key = load_certified_key(dir)?;
        Ok(Arc::new(Self { dir: dir.to_path_buf(), current: RwLock::new(Arc::new(key)) }))
    }

    /// Loads the folder's files again; on failure the previous certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = load_certified_key(&self.dir)?;
        *self.current.write().expect("certificate lock") = Arc::new(key);
        Ok(())
    }

    /// Reloads after each change in the folder (debounced); the watcher lives as long as the
    /// returned handle.
    pub fn watch(self: &Arc<Self>, tasks: &crate::tasks::Tasks) -> Result<notify::RecommendedWatcher, TlsError> {
        let (tx, mut rx) = mpsc::unbounded_channel::<()>();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let relevant = event
                .is_ok_and(|e| e.paths.iter().any(|p| p.file_name().is_some_and(|n| n == CERT_FILE || n == KEY_FILE)));
            if relevant {
                let _ = tx.send(());
            }
        })
        .map_err(|source| TlsError::Watch { path: self.dir.clone(), source })?;
        watcher
            .watch(&self.dir, RecursiveMode::NonRecursive)
            .map_err(|source| TlsError::Watch { path: self.dir.clone(), source })?;
        let store = self.clone();
        tasks.spawn_until_shutdown(async move {
            while rx.recv().await.is_some() {
                // A certificate and its key are usually replaced one after the other.
                tokio::time::sleep(Duration::from_millis(200)).await;
                while rx.try_recv().is_ok() {}
                match store.reload() {
                    Ok(()) => tracing::info!(dir = %store.dir.display(), "certificate reloaded"),
                    Err(e) => tracing::error!(error = %e, "new certificate not loaded; the previous one stays"),
                }
            }
        });
        Ok(watcher)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").clone())
    }
}

fn load_certified_key(dir: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|iter| iter.collect::<Result<_, _>>())
        .map_err(|source| TlsError::Read { path: cert_path.clone(), source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { path: cert_path });
    }
    let key =
        PrivateKeyDer::from_pem_file(&key_path).map_err(|source| TlsError::Read { path: key_path.clone(), source })?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|source| TlsError::Key { path: key_path.clone(), source })?;
    let certified = CertifiedKey::new(certs, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(_) => Err(TlsError::Mismatch { cert: cert_path, key: key_path }),
    }
}

/// TLS 1.2 and 1.3 with the served certificate; HTTP/1.1.
pub fn server_config(store: Arc<CertStore>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(store);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A listener that yields connections whose TLS handshake has completed.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>, tasks: &crate::tasks::Tasks) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let handshakes = tasks.clone();
        tasks.spawn_until_shutdown(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                handshakes.spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Plain TCP (loopback only, see `serve`), with `TCP_NODELAY` on every connection: streamed
/// chunks are small, and Nagle's algorithm would hold them back.
pub struct PlainListener(pub TcpListener);

impl axum::serve::Listener for PlainListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own listener logs and retries failed accepts; delegate to it.
        let (stream, peer) = axum::serve::Listener::accept(&mut self.0).await;
        let _ = stream.set_nodelay(true);
        (stream, peer)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        axum::serve::Listener::local_addr(&self.0)
    }
}
