//! Running a program inside one of the stack's containers (psql in db, `stingd admin` in
//! stingd) through the engine's exec API. Input that may hold a secret goes on the program's
//! stdin, never its argv, which `docker inspect` and process listings show.

use bollard::Docker;
use bollard::exec::StartExecResults;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

#[derive(Debug)]
pub struct Finished {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
    /// stdout as bytes (a dump is binary).
    pub raw_stdout: Vec<u8>,
}

/// Runs `command` in `container` (as the container's user), feeding `stdin`; waits for it.
pub async fn run(
    docker: &Docker,
    container: &str,
    command: &[&str],
    stdin: Option<&[u8]>,
) -> Result<Finished, bollard::errors::Error> {
    let exec = super::engine::create_exec(docker, container, command, stdin.is_some()).await?;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    if let StartExecResults::Attached { mut output, mut input } = docker.start_exec(&exec.id, None).await? {
        if let Some(bytes) = stdin {
            input.write_all(bytes).await.map_err(bollard::errors::Error::from)?;
            input.shutdown().await.map_err(bollard::errors::Error::from)?;
        }
        drop(input);
        while let Some(item) = output.next().await {
            match item? {
                bollard::container::LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                bollard::container::LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                _ => {}
            }
        }
    }
    let code = docker.inspect_exec(&exec.id).await?.exit_code.unwrap_or(-1);
    Ok(Finished {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw_stdout: stdout,
    })
}

/// Runs SQL as PostgreSQL's superuser through the socket inside the db container, all or
/// nothing; returns what psql printed.
pub async fn psql(docker: &Docker, container: &str, database: &str, sql: &str) -> anyhow::Result<String> {
    let finished = run(
        docker,
        container,
        &[
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "/run/postgresql",
            "-U",
            "postgres",
            "-d",
            database,
            "-f",
            "-",
        ],
        Some(sql.as_bytes()),
    )
    .await?;
    if finished.code != 0 {
        let first = finished.stderr.lines().find(|l| l.contains("ERROR")).unwrap_or(finished.stderr.trim());
        anyhow::bail!("PostgreSQL refused: {first}");
    }
    Ok(finished.stdout)
}

/// A `stingd admin` command that failed: its exit code (what to act on) and its words.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StingdFailed {
    pub code: i64,
    pub message: String,
}

impl StingdFailed {
    /// stingd's exit code when what was to be made exists already (`stingd::cli::EXIT_EXISTS`).
    pub const EXISTS: i64 = 3;
}

/// Runs `stingd admin ARGS --config …` in the stack's running stingd (its own Vault login and
/// database). `Ok(None)` when that container is not running; an error carries stingd's words.
pub async fn stingd_admin(docker: &Docker, project: &str, args: &[&str]) -> anyhow::Result<Option<String>> {
    let name = super::containers::container_name(project, "stingd");
    let running = docker.inspect_container(&name, None).await.ok().and_then(|c| c.state?.running).unwrap_or(false);
    if !running {
        return Ok(None);
    }
    let mut command = vec!["stingd", "admin"];
    command.extend_from_slice(args);
    command.extend_from_slice(&["--config", super::spec::STINGD_CONFIG]);
    let done = run(docker, &name, &command, None).await?;
    if done.code != 0 {
        let said = done.stderr.trim();
        return Err(
            StingdFailed { code: done.code, message: said.strip_prefix("error: ").unwrap_or(said).into() }.into()
        );
    }
    Ok(Some(done.stdout.trim().to_string()))
}

/// stingd's status report (models, queues, schema, Vault), read from its status socket by
/// `stingd status` in its container. An error says why there is none (stingd not running, no
/// answer on the socket, not JSON).
pub async fn stingd_status(docker: &Docker, project: &str) -> anyhow::Result<serde_json::Value> {
    let name = super::containers::container_name(project, "stingd");
    let command = ["stingd", "status", "--socket", super::spec::STINGD_STATUS_SOCKET];
    let done = run(docker, &name, &command, None).await.map_err(|e| anyhow::anyhow!("cannot ask stingd: {e}"))?;
    if done.code != 0 {
        anyhow::bail!("stingd gave no status: {}", done.stderr.trim().trim_start_matches("error: "));
    }
    serde_json::from_str(&done.stdout).map_err(|e| anyhow::anyhow!("stingd's status is not JSON: {e}"))
}

/// Runs `command` in `container` with its stdout streamed into `sink` as it comes (a dump of
/// any size never waits whole in memory); returns the exit code and what it said on stderr.
pub async fn stream_out(
    docker: &Docker,
    container: &str,
    command: &[&str],
    sink: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<(i64, String)> {
    let exec = super::engine::create_exec(docker, container, command, false).await?;
    let mut stderr = Vec::new();
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&exec.id, None).await? {
        while let Some(item) = output.next().await {
            match item? {
                bollard::container::LogOutput::StdOut { message } => sink.write_all(&message)?,
                bollard::container::LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                _ => {}
            }
        }
    }
    let code = docker.inspect_exec(&exec.id).await?.exit_code.unwrap_or(-1);
    Ok((code, String::from_utf8_lossy(&stderr).into_owned()))
}

/// Runs `command` in `container` with `input` streamed to its stdin as it arrives (a dump of
/// any size restored without waiting whole in memory); returns the exit code and what it
/// printed (stdout, then stderr).
pub async fn stream_in(
    docker: &Docker,
    container: &str,
    command: &[&str],
    input: &mut tokio::sync::mpsc::Receiver<bytes::Bytes>,
) -> anyhow::Result<(i64, String)> {
    let exec = super::engine::create_exec(docker, container, command, true).await?;
    let mut said = Vec::new();
    if let StartExecResults::Attached { mut output, input: mut stdin } = docker.start_exec(&exec.id, None).await? {
        // Output is read while input is written, so a program that talks as it reads never
        // blocks on a full pipe.
        let reading = async {
            let mut said = Vec::new();
            while let Some(item) = output.next().await {
                match item? {
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::StdErr { message } => said.extend_from_slice(&message),
                    _ => {}
                }
            }
            Ok::<_, bollard::errors::Error>(said)
        };
        let writing = async {
            while let Some(chunk) = input.recv().await {
                if stdin.write_all(&chunk).await.is_err() {
                    // The program stopped reading (it failed): drain, and let its code say why.
                    while input.recv().await.is_some() {}
                    break;
                }
            }
            let _ = stdin.shutdown().await;
            drop(stdin);
        };
        let (read, ()) = tokio::join!(reading, writing);
        said = read?;
    }
    let code = docker.inspect_exec(&exec.id).await?.exit_code.unwrap_or(-1);
    Ok((code, String::from_utf8_lossy(&said).into_owned()))
}
