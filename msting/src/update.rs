//! `msting update`: every new image first (built where its recipe changed), a database dump
//! before stingd can migrate, then one service at a time replaced and gated on msting's probe.
//! A service that fails goes back to the image it ran before, and the database to the dump if
//! the failed stingd changed the schema; the services not yet reached are left as they were.

use std::time::Duration;

use anyhow::Context;
use bollard::Docker;
use sting_config::Config;

use crate::install::ready;
use crate::output::Output;
use crate::progress::Progress;
use crate::recipes::Inputs;
use crate::stack::containers::{self, Change, container_name};
use crate::stack::spec::{self, Service, Stack};
use crate::stack::{exec, lifecycle};

/// How long a replaced service may take to be ready before it is rolled back.
const PATIENCE: Duration = Duration::from_secs(120);

#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// The dump taken before stingd was replaced.
    pub dump: Option<std::path::PathBuf>,
}

pub async fn run(
    docker: &Docker,
    config: &Config,
    names: &[String],
    inputs: &Inputs,
    out: &Output,
    progress: &mut Progress,
) -> anyhow::Result<Outcome> {
    let stack = spec::desired(config);
    let services = lifecycle::select(&stack, names, &[])?;
    let wanted: Vec<String> = services.iter().map(|s| s.name.to_string()).collect();

    // Every image first: nothing is stopped until all of them exist.
    progress.start("images");
    let mut lines = Vec::new();
    let built =
        crate::images::refresh(docker, &stack, config.images.pull, &config.images.base, inputs, &wanted, &mut |l| {
            lines.push(l.to_string())
        })
        .await;
    for line in lines {
        progress.log(&line);
    }
    match &built {
        Ok(built) => {
            let new: Vec<String> = built
                .iter()
                .filter(|b| b.how != crate::images::Outcome::Current)
                .map(|b| format!("{} {}", b.how, b.service))
                .collect();
            progress.done(&if new.is_empty() { "current".to_string() } else { new.join(", ") })
        }
        Err(error) => progress.failed(error),
    }
    built?;

    let mut outcome = Outcome::default();
    for service in services {
        let name = container_name(&stack.project, service.name);
        let previous = docker
            .inspect_container(&name, None)
            .await
            .with_context(|| format!("{} has no container: run `msting install` first", service.name))?
            .image
            .unwrap_or_default();
        let current = docker.inspect_image(&service.image).await?.id.unwrap_or_default();
        let same_spec = docker
            .inspect_container(&name, None)
            .await?
            .config
            .and_then(|c| c.labels)
            .and_then(|l| l.get(containers::SPEC_HASH_LABEL).cloned())
            == Some(containers::spec_hash(&stack, service));
        if previous == current && same_spec {
            outcome.unchanged.push(service.name.to_string());
            continue;
        }
        progress.start(&format!("updating {}", service.name));
        let guard =
            if service.name == "stingd" { Some(SchemaGuard::take(docker, config, &stack).await?) } else { None };
        if let Some(guard) = &guard {
            outcome.dump = Some(guard.file.clone());
        }
        let replaced = async {
            crate::install::apply(docker, &stack, service).await?;
            ready(docker, config, &stack, service.name, PATIENCE).await
        }
        .await;
        match replaced {
            Ok(()) => {
                progress.done("replaced, ready");
                outcome.updated.push(service.name.to_string());
            }
            Err(error) => {
                progress.failed(&error);
                progress.start(&format!("rolling {} back", service.name));
                let back = roll_back(docker, config, &stack, service, &previous, guard.as_ref()).await;
                match back {
                    Ok(restored) => {
                        progress.done(if restored { "previous image, database restored" } else { "previous image" });
                        out.warn(format!("{} did not become ready on its new image: rolled back", service.name));
                        return Err(error.context(format!(
                            "the update of {} failed and was rolled back to its previous image",
                            service.name
                        )));
                    }
                    Err(back_error) => {
                        progress.failed(&back_error);
                        return Err(back_error.context(format!(
                            "the update of {} failed ({error:#}) and so did its roll-back",
                            service.name
                        )));
                    }
                }
            }
        }
    }
    Ok(outcome)
}

/// The image `previous` (an id) made `service`'s image again, its container made from it.
/// Returns whether the database was restored too.
async fn roll_back(
    docker: &Docker,
    config: &Config,
    stack: &Stack,
    service: &Service,
    previous: &str,
    guard: Option<&SchemaGuard>,
) -> anyhow::Result<bool> {
    let failed_image = docker.inspect_image(&service.image).await.ok().and_then(|i| i.id);
    let (repo, tag) = service.image.rsplit_once(':').unwrap_or((&service.image, "latest"));
    if let Some(failed) = failed_image.as_deref().filter(|f| *f != previous) {
        // Kept under a name of its own, for a look at what went wrong.
        crate::images::retag(docker, failed, repo, &format!("{tag}-failed")).await?;
    }
    crate::images::retag(docker, previous, repo, tag).await?;
    let mut restored = false;
    if let Some(guard) = guard {
        // Stop the failed stingd before the schema goes back under it.
        crate::stack::engine::stop_and_remove_container(docker, &container_name(&stack.project, service.name)).await?;
        restored = guard.restore_if_changed(docker, config, stack).await?;
    }
    let change = crate::install::apply(docker, stack, service).await?;
    debug_assert!(change != Change::Unchanged || guard.is_none());
    ready(docker, config, stack, service.name, PATIENCE).await?;
    Ok(restored)
}

/// A dump of stingd's database and the number of migrations applied when it was taken: what
/// an update falls back to when a new stingd moved the schema and then failed.
pub struct SchemaGuard {
    pub file: std::path::PathBuf,
    pub migrations: i64,
}

async fn migrations(docker: &Docker, db: &str, database: &str) -> anyhow::Result<i64> {
    let text = exec::psql(
        docker,
        db,
        database,
        "SELECT CASE WHEN to_regclass('public._sqlx_migrations') IS NULL THEN 0 ELSE (SELECT count(*) FROM _sqlx_migrations) END;",
    )
    .await?;
    text.trim().parse().with_context(|| format!("unexpected migration count `{}`", text.trim()))
}

impl SchemaGuard {
    /// Dumps the database (`pg_dump -Fc` in the db container) into `paths.backup_dir` (0600).
    pub async fn take(docker: &Docker, config: &Config, stack: &Stack) -> anyhow::Result<Self> {
        let db = container_name(&stack.project, "db");
        let database = &config.database.name;
        let migrations = migrations(docker, &db, database).await?;
        let dump =
            exec::run(docker, &db, &["pg_dump", "-Fc", "-h", "/run/postgresql", "-U", "postgres", database], None)
                .await?;
        if dump.code != 0 {
            anyhow::bail!("the database dump before the update failed: {}", dump.stderr.trim());
        }
        let dir = spec::absolute(config, &config.paths.backup_dir);
        std::fs::create_dir_all(&dir)?;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let file = dir.join(format!("pre-update-{stamp}.dump"));
        crate::fsio::atomic_write(&file, &dump.raw_stdout, Some(0o600))?;
        Ok(Self { file, migrations })
    }

    /// Restores the dump when the schema moved since it was taken (stingd stopped first).
    pub async fn restore_if_changed(&self, docker: &Docker, config: &Config, stack: &Stack) -> anyhow::Result<bool> {
        let db = container_name(&stack.project, "db");
        let database = &config.database.name;
        if migrations(docker, &db, database).await? == self.migrations {
            return Ok(false);
        }
        // Into a database of its own, then swapped in: objects the failed release made vanish
        // with its database, and a restore that fails leaves the current one in place.
        let id = crate::db_admin::identifier;
        let lit = crate::db_admin::literal;
        let staging = format!("{database}_restoring");
        let failed = format!("{database}_failed_update");
        exec::psql(
            docker,
            &db,
            "postgres",
            &format!(
                "DROP DATABASE IF EXISTS {s} WITH (FORCE);\nCREATE DATABASE {s} OWNER {owner};\n",
                s = id(&staging),
                owner = id(&config.database.user)
            ),
        )
        .await?;
        let dump = std::fs::read(&self.file)?;
        let done = exec::run(
            docker,
            &db,
            &["pg_restore", "--single-transaction", "-h", "/run/postgresql", "-U", "postgres", "-d", &staging],
            Some(&dump),
        )
        .await?;
        if done.code != 0 {
            anyhow::bail!("restoring the database from {} failed: {}", self.file.display(), done.stderr.trim());
        }
        exec::psql(
            docker,
            &db,
            "postgres",
            &format!(
                "DROP DATABASE IF EXISTS {f} WITH (FORCE);\n\
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {current_lit} AND pid <> pg_backend_pid();\n\
                 BEGIN;\n\
                 ALTER DATABASE {current} RENAME TO {f};\n\
                 ALTER DATABASE {s} RENAME TO {current};\n\
                 COMMIT;\n\
                 DROP DATABASE {f} WITH (FORCE);\n",
                f = id(&failed),
                s = id(&staging),
                current = id(database),
                current_lit = lit(database),
            ),
        )
        .await?;
        Ok(true)
    }
}
