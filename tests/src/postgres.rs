//! A PostgreSQL server of a test's own, in a temporary folder on a free port: to restart it, or
//! to give it a database no other test touches. Uses Debian's PostgreSQL binaries, which
//! tests/env/setup.sh installs.

use std::path::PathBuf;
use std::process::Command;

pub struct PostgresInstance {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn run_as_postgres(program: &std::path::Path, args: &[&str]) {
    let out = Command::new("runuser").args(["-u", "postgres", "--"]).arg(program).args(args).output().expect("runuser");
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PostgresInstance {
    /// Trusts every connection (the tests' usual server).
    pub fn start() -> Self {
        Self::start_with(&["-A", "trust"])
    }

    /// Passwords over TCP (scram-sha-256), as in production; the local socket stays trusted
    /// for the test's own administration ([`Self::socket_url`]).
    pub fn start_with_password_auth() -> Self {
        Self::start_with(&["--auth-local=trust", "--auth-host=scram-sha-256"])
    }

    fn start_with(auth: &[&str]) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|dirs| dirs.flatten().map(|d| d.path().join("bin")).filter(|b| b.join("initdb").is_file()).max())
            .unwrap_or_else(|| {
                panic!("no PostgreSQL server binaries: run tests/env/setup.sh (apt-get install -y postgresql)")
            });
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
        assert!(status.success(), "chown to postgres failed");
        let data = dir.path().join("data");
        let mut args = vec!["-D", data.to_str().unwrap(), "-U", "postgres", "--no-sync"];
        args.extend_from_slice(auth);
        run_as_postgres(&bin.join("initdb"), &args);
        let instance = Self { port: crate::free_port(), bin, dir };
        instance.pg_ctl(&["start"]);
        instance
    }

    fn pg_ctl(&self, action: &[&str]) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("server.log");
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        let mut args =
            vec!["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &options, "-w", "-m", "fast"];
        args.extend_from_slice(action);
        run_as_postgres(&self.bin.join("pg_ctl"), &args);
    }

    /// The folder of the server's socket.
    pub fn socket_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The superuser over the local socket (trusted whatever the TCP rules).
    pub fn socket_url(&self) -> String {
        format!("postgres://postgres@localhost/postgres?host={}&port={}", self.dir.path().display(), self.port)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn restart(&self) {
        self.pg_ctl(&["restart"]);
    }

    pub fn stop(&self) {
        self.pg_ctl(&["stop"]);
    }

    pub fn start_again(&self) {
        self.pg_ctl(&["start"]);
    }
}

impl Drop for PostgresInstance {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}
