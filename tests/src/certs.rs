//! The certificate folder stingd serves HTTPS from (`STING_CERTS_DIR`), made for a test: a
//! self-signed certificate for `localhost`, as a browser on the same machine reaches stingd.

use std::path::Path;

/// Writes `server.crt`, `server.key` and the ACME challenge folder stingd expects into `dir`.
pub fn write_localhost(dir: &Path) -> anyhow::Result<()> {
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    std::fs::create_dir_all(dir.join("acme-challenge"))?;
    std::fs::write(dir.join("server.crt"), issued.cert.pem())?;
    std::fs::write(dir.join("server.key"), issued.signing_key.serialize_pem())?;
    Ok(())
}
