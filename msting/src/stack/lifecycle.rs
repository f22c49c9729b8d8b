//! Starting, stopping and restarting the stack's containers as they are, and reading their logs
//! interleaved. Services are chosen by name from the spec, so nothing outside the stack is
//! ever addressed.

use std::collections::BTreeMap;

use bollard::Docker;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use super::containers::container_name;
use super::spec::{Service, Stack};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Restart,
}

/// The services named (all the config enables when none), in dependency order; `profiles`
/// admit the services gated on them. An unknown name is an error that lists the known ones.
pub fn select<'a>(stack: &'a Stack, names: &[String], profiles: &[String]) -> anyhow::Result<Vec<&'a Service>> {
    for name in names {
        if !stack.services.iter().any(|s| s.name == name) {
            let known: Vec<&str> = stack.services.iter().map(|s| s.name).collect();
            anyhow::bail!("no service named `{name}` in this stack: choose from {}", known.join(", "));
        }
    }
    Ok(stack
        .services
        .iter()
        .filter(|s| {
            if names.is_empty() {
                s.profile.is_none_or(|p| profiles.iter().any(|q| q == p))
            } else {
                names.iter().any(|n| n == s.name)
            }
        })
        .collect())
}

/// Does `action` to each service (stopping in reverse order); returns what was done to each.
pub async fn act(
    docker: &Docker,
    stack: &Stack,
    services: &[&Service],
    action: Action,
) -> anyhow::Result<BTreeMap<String, &'static str>> {
    let mut done = BTreeMap::new();
    let ordered: Vec<&&Service> =
        if action == Action::Stop { services.iter().rev().collect() } else { services.iter().collect() };
    for service in ordered {
        let name = container_name(&stack.project, service.name);
        let found = match docker.inspect_container(&name, None).await {
            Ok(found) => found,
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {
                anyhow::bail!("{} has no container ({name}): run `msting install` to make it", service.name)
            }
            Err(e) => return Err(e.into()),
        };
        let running = found.state.and_then(|s| s.running).unwrap_or(false);
        let what = match action {
            Action::Start if running => "already running",
            Action::Start => {
                docker.start_container(&name, None::<bollard::query_parameters::StartContainerOptions>).await?;
                "started"
            }
            Action::Stop if !running => "already stopped",
            Action::Stop => {
                // The grace is the container's own (its spec's `stop_grace_s`).
                docker.stop_container(&name, None::<bollard::query_parameters::StopContainerOptions>).await?;
                "stopped"
            }
            Action::Restart => {
                docker.restart_container(&name, None::<bollard::query_parameters::RestartContainerOptions>).await?;
                "restarted"
            }
        };
        done.insert(service.name.to_string(), what);
    }
    Ok(done)
}

pub struct LogOptions {
    pub follow: bool,
    /// Unix seconds.
    pub since: Option<i64>,
    pub tail: Option<u64>,
}

/// `--since`: a duration ago (`10m`) or an RFC 3339 time, as Unix seconds.
pub fn parse_since(text: &str) -> anyhow::Result<i64> {
    if let Ok(ago) = humantime::parse_duration(text) {
        return Ok(time::OffsetDateTime::now_utc().unix_timestamp() - ago.as_secs() as i64);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            anyhow::anyhow!("--since {text}: give a duration (10m, 2h) or an RFC 3339 time (2026-01-31T12:00:00Z)")
        })
}

/// Each service's log lines as `service | line`: interleaved in time order, or as they come
/// with `follow`.
pub async fn logs(
    docker: &Docker,
    stack: &Stack,
    services: &[&Service],
    options: &LogOptions,
    emit: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<()> {
    let width = services.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut streams = Vec::new();
    for service in services {
        let name = container_name(&stack.project, service.name);
        let mut builder =
            LogsOptionsBuilder::default().stdout(true).stderr(true).timestamps(true).follow(options.follow);
        if let Some(since) = options.since {
            builder = builder.since(since as i32);
        }
        if let Some(tail) = options.tail {
            builder = builder.tail(&tail.to_string());
        }
        let prefix = format!("{:<width$} |", service.name);
        let stream = docker.logs(&name, Some(builder.build())).map(move |item| (prefix.clone(), item));
        streams.push(stream.boxed());
    }
    let mut merged = futures_util::stream::select_all(streams);
    let mut collected: Vec<(String, String)> = Vec::new();
    while let Some((prefix, item)) = merged.next().await {
        let chunk = match item {
            Ok(chunk) => chunk,
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
        for line in text.lines() {
            let (stamp, rest) = line.split_once(' ').unwrap_or(("", line));
            if options.follow {
                emit(&format!("{prefix} {rest}"));
            } else {
                collected.push((stamp.to_string(), format!("{prefix} {rest}")));
            }
        }
    }
    // RFC 3339 stamps of one engine sort as text once their fractions are of equal length.
    collected.sort_by_key(|(stamp, _)| normalise(stamp));
    for (_, line) in collected {
        emit(&line);
    }
    Ok(())
}

fn normalise(stamp: &str) -> String {
    match stamp.split_once('.') {
        Some((seconds, rest)) => {
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            format!("{seconds}.{digits:0<9}")
        }
        None => stamp.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_services_are_refused_with_the_known_ones() {
        let stack = super::super::spec::desired(&sting_config::Config::default());
        let error = select(&stack, &["vualt".into()], &[]).unwrap_err().to_string();
        assert!(error.contains("vault, db, stingd"), "{error}");
        let all: Vec<&str> = select(&stack, &[], &[]).unwrap().iter().map(|s| s.name).collect();
        assert_eq!(all, ["vault", "db", "stingd"]);
    }

    #[test]
    fn stamps_with_short_fractions_sort_by_time() {
        let mut stamps = ["2026-01-01T00:00:01.5Z", "2026-01-01T00:00:01.123456789Z"];
        stamps.sort_by_key(|s| normalise(s));
        assert_eq!(stamps[0], "2026-01-01T00:00:01.123456789Z");
        assert!(parse_since("10m").is_ok() && parse_since("yesterday-ish").is_err());
    }
}
