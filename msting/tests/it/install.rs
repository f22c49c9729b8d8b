//! The whole life of one stack on the real Docker engine, from images built here: install, the
//! hardening of every container, a second install that changes nothing, the first admin's link
//! on a terminal, `reset-auth`, a database login rotated through the db container, ACME's
//! challenge folder served by stingd, a stopped container
//! brought back by `msting start`, a restart of dockerd that the stack survives by itself, an
//! update to a broken image that rolls back, the offline bundle (save, remove, load, install),
//! and `uninstall --purge` that leaves a foreign container, volume and network alone.
//! One test, because each step builds on the stack the previous one left.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{msting, text, unique};
use bollard::Docker;
use sha2::Digest;

use crate::common::IMAGE_PREFIX;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn docker() -> Docker {
    Docker::connect_with_local_defaults().unwrap()
}

fn ok(install: &Path, args: &[&str]) -> String {
    let run = msting(install, args);
    let said = text(&run);
    assert!(run.status.success(), "msting {} failed:\n{said}", args.join(" "));
    said
}

/// `msting status --json` until every service runs and is healthy.
fn wait_healthy(install: &Path, patience: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let run = msting(install, &["status", "--json"]);
        let status: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap_or_default();
        let healthy = status["services"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["state"] == "running" && s["health"] == "healthy"));
        if healthy {
            return status;
        }
        assert!(started.elapsed() < patience, "the stack was not healthy within {patience:?}: {status:#}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// `GET /api/me` with a session cookie.
fn me(port: u16, cookie: &str) -> reqwest::StatusCode {
    runtime().block_on(async {
        let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
        let url = format!("https://127.0.0.1:{port}/api/me");
        client.get(url).header("cookie", cookie).send().await.unwrap().status()
    })
}

fn stingd_answers(port: u16) -> reqwest::StatusCode {
    runtime().block_on(async {
        let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
        client.get(format!("https://127.0.0.1:{port}/health/ready")).send().await.unwrap().status()
    })
}

#[test]
fn a_stack_installs_hardened_survives_restarts_rolls_back_and_leaves_nothing_foreign() {
    let identity = age::x25519::Identity::generate();
    let project = unique("sting-it");
    let install = crate::common::install_dir(&crate::common::stack_config(&project, &identity.to_public().to_string()));
    let dir = install.path();
    let loaded = sting_config::load_file(&dir.join("conf/config.yml"), &Default::default()).unwrap().config;
    let https_port = loaded.services.stingd.https_port;
    let docker = docker();
    let rt = runtime();

    // 1. Install from images built here (their recipes' hashes decide whether to rebuild).
    ok(dir, &["images", "build"]);
    let first = ok(dir, &["--yes", "install"]);
    assert!(first.contains("STING is running"), "{first}");
    assert!(first.contains("initialised Vault"), "{first}");
    assert_eq!(stingd_answers(https_port), 200);
    let status = wait_healthy(dir, Duration::from_secs(120));
    assert_eq!(status["services"].as_array().unwrap().len(), 3, "{status:#}");

    // The install log holds the run and no secret.
    let logs: Vec<_> = std::fs::read_dir(dir.join("logs")).unwrap().map(|e| e.unwrap().path()).collect();
    let log = logs.iter().find(|p| p.to_string_lossy().contains("install-")).expect("an install log");
    let log_text = std::fs::read_to_string(log).unwrap();
    let api_key = std::fs::read_to_string(dir.join("secrets/stingd/api-key")).unwrap();
    assert!(log_text.contains("== vault") && log_text.contains("== stingd"), "{log_text}");
    assert!(!log_text.contains(api_key.trim()) && !log_text.contains("AGE ENCRYPTED"), "a secret in the log");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(log).unwrap().permissions().mode() & 0o777, 0o600);

    // 2. Every container as DESIGN.md says.
    rt.block_on(async {
        let names = msting::stack::containers::all_of_project(&docker, &project).await.unwrap();
        assert_eq!(names.len(), 3, "{names:?}");
        for name in &names {
            let c = docker.inspect_container(name, None).await.unwrap();
            let config = c.config.unwrap();
            let host = c.host_config.unwrap();
            let user = config.user.unwrap_or_default();
            assert!(!user.is_empty() && !user.starts_with("0") && !user.starts_with("root"), "{name} runs as {user:?}");
            assert_eq!(host.cap_drop.unwrap_or_default(), ["ALL"], "{name}");
            assert!(host.security_opt.unwrap_or_default().iter().any(|o| o.starts_with("no-new-privileges")), "{name}");
            assert_eq!(host.readonly_rootfs, Some(true), "{name}");
            assert!(host.memory.unwrap_or(0) > 0, "{name} has no memory limit");
            assert_eq!(host.log_config.unwrap().config.unwrap()["max-file"], "5", "{name}");
            for mount in c.mounts.unwrap_or_default() {
                let source = mount.source.unwrap_or_default();
                assert!(!source.contains("docker.sock"), "{name} mounts {source}");
            }
            for (inside, bindings) in host.port_bindings.unwrap_or_default() {
                for binding in bindings.unwrap_or_default() {
                    let ip = binding.host_ip.unwrap_or_default();
                    assert!(
                        name.ends_with("-stingd-1") || ip == "127.0.0.1",
                        "{name} publishes {inside} on {ip:?}: only stingd publishes beyond loopback"
                    );
                }
            }
        }
        let local = docker
            .inspect_network(
                &format!("{project}_sting_local"),
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
            .unwrap();
        assert_eq!(local.internal, Some(true));
    });

    // 3. A second install compares and changes nothing.
    let ids_before = container_ids(&rt, &docker, &project);
    let again = ok(dir, &["--yes", "install"]);
    assert!(again.contains("nothing to change"), "{again}");
    assert_eq!(container_ids(&rt, &docker, &project), ids_before, "a second install replaced a container");

    // A key rotation rewraps the stored keys through the stack's own stingd.
    let rotated = ok(dir, &["encryption-keys", "rotate"]);
    assert!(rotated.contains("rewrapped") && rotated.contains("version 2"), "{rotated}");

    // The first admin: the one-time enrolment link is shown on a terminal, and kept nowhere.
    let (made, said) =
        crate::common::msting_on_terminal(dir, &["--yes", "install", "--admin-email", "admin@example.org"], "");
    assert!(made, "{said}");
    let prefix = format!("https://localhost:{https_port}/enrol#");
    let token = said
        .lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no enrolment link in:\n{said}"))
        .to_string();
    for log in std::fs::read_dir(dir.join("logs")).unwrap() {
        let log = std::fs::read_to_string(log.unwrap().path()).unwrap();
        assert!(!log.contains(&token), "the enrolment link is in an install log");
    }

    // That admin's session works until `msting reset-auth` ends every session.
    let db = format!("{project}-db-1");
    let session = |id: &str| {
        let hash: String = sha2::Sha256::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let sql = format!(
            "INSERT INTO sessions (id_hash, user_id, aal, expires_at) \
             SELECT decode('{hash}', 'hex'), id, 2, now() + interval '1 hour' FROM users WHERE email = 'admin@example.org';"
        );
        rt.block_on(msting::stack::exec::psql(&docker, &db, "sting", &sql)).unwrap();
        format!("__Host-sting_session={id}")
    };
    let cookie = session("sess_installtestbeforereset0000000000000000000");
    assert_eq!(me(https_port, &cookie), 200);
    let off_terminal = msting(dir, &["reset-auth"]);
    assert_ne!(off_terminal.status.code(), Some(0), "reset-auth acted without --yes off a terminal");
    assert_eq!(me(https_port, &cookie), 200);
    let reset = ok(dir, &["--yes", "reset-auth"]);
    assert!(reset.contains("revoked 1 session"), "{reset}");
    assert_eq!(me(https_port, &cookie), 401, "a session outlived reset-auth");

    // The database login rotates through the db container, and stingd keeps working on it.
    let rotated = ok(dir, &["secrets", "rotate", "database", "--settle", "6s"]);
    assert!(rotated.contains("stingd now uses sting_a"), "{rotated}");
    let cookie = session("sess_installtestafterrotation00000000000000000");
    assert_eq!(me(https_port, &cookie), 200);

    // stingd answers ACME HTTP-01 challenges from the certificates folder msting writes into.
    let challenges = dir.join("certs/acme-challenge");
    std::fs::create_dir_all(&challenges).unwrap();
    std::fs::write(challenges.join("install-test-probe"), "probe").unwrap();
    let http_port = loaded.services.stingd.http_port;
    let served = rt.block_on(async {
        let url = format!("http://127.0.0.1:{http_port}/.well-known/acme-challenge/install-test-probe");
        let response = reqwest::get(url).await.unwrap();
        (response.status(), response.text().await.unwrap())
    });
    assert_eq!(served, (reqwest::StatusCode::OK, "probe".to_string()));

    // 4. A stopped container is reported, and brought back by `msting start`.
    rt.block_on(async {
        docker
            .stop_container(&format!("{project}-stingd-1"), None::<bollard::query_parameters::StopContainerOptions>)
            .await
            .unwrap();
    });
    let down = msting(dir, &["status"]);
    assert_eq!(down.status.code(), Some(1), "{}", text(&down));
    assert!(text(&down).contains("exited"), "{}", text(&down));
    let started = ok(dir, &["start"]);
    assert!(started.contains("started stingd"), "{started}");
    wait_healthy(dir, Duration::from_secs(120));

    // 5. dockerd restarts (as at a reboot): the stack comes back healthy with no one's help.
    restart_dockerd();
    wait_healthy(dir, Duration::from_secs(180));
    assert_eq!(stingd_answers(https_port), 200, "stingd is not ready after dockerd's restart");

    // 6. An update to a broken stingd returns to the previous image.
    let good_image = rt.block_on(async {
        docker.inspect_container(&format!("{project}-stingd-1"), None).await.unwrap().image.unwrap()
    });
    let broken = tempfile::tempdir().unwrap();
    let fake = broken.path().join("stingd");
    std::fs::write(&fake, "#!/bin/sh\necho 'broken on purpose' >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let update = msting(dir, &["--yes", "update", "stingd", "--stingd", fake.to_str().unwrap()]);
    let said = text(&update);
    assert_eq!(update.status.code(), Some(1), "{said}");
    assert!(said.contains("rolled back") && said.contains("broken on purpose"), "{said}");
    let now_image = rt.block_on(async {
        docker.inspect_container(&format!("{project}-stingd-1"), None).await.unwrap().image.unwrap()
    });
    assert_eq!(now_image, good_image, "stingd does not run its previous image");
    wait_healthy(dir, Duration::from_secs(120));
    assert_eq!(stingd_answers(https_port), 200);
    // The update's net for the schema: when a failed stingd had applied a newer migration, the
    // dump taken before it comes back, with stingd stopped under it.
    let mut overrides = sting_config::Overrides::default();
    overrides.set("STING_INSTALL_DIR", dir.to_string_lossy());
    let installed = sting_config::load_file(&dir.join("conf/config.yml"), &overrides).unwrap().config;
    let stack = msting::stack::spec::desired(&installed);
    let guard = rt.block_on(msting::update::SchemaGuard::take(&docker, &installed, &stack)).unwrap();
    assert!(guard.file.starts_with(dir) && guard.migrations > 0, "{:?} {}", guard.file, guard.migrations);
    let from_the_future = "CREATE TABLE from_the_future (x int); \
        INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
        VALUES (99999, 'from the future', true, '\\x00', 0);";
    rt.block_on(msting::stack::exec::psql(&docker, &db, "sting", from_the_future)).unwrap();
    ok(dir, &["stop", "stingd"]);
    assert!(rt.block_on(guard.restore_if_changed(&docker, &installed, &stack)).unwrap(), "the schema moved");
    let after = rt
        .block_on(msting::stack::exec::psql(
            &docker,
            &db,
            "sting",
            "SELECT count(*), to_regclass('from_the_future') IS NULL FROM _sqlx_migrations;",
        ))
        .unwrap();
    assert_eq!(after.trim(), format!("{}|t", guard.migrations), "the dump was not restored");
    assert!(!rt.block_on(guard.restore_if_changed(&docker, &installed, &stack)).unwrap(), "nothing moved this time");
    ok(dir, &["start", "stingd"]);
    wait_healthy(dir, Duration::from_secs(120));
    // The restored database is stingd's as before: the session made earlier still works.
    assert_eq!(me(https_port, &cookie), 200);

    // The working stingd is the current one again, for the next build to compare with.
    ok(dir, &["images", "build", "stingd"]);

    // 7. The offline bundle: save, remove the stack and its images, load, install; data kept.
    let bundle = tempfile::tempdir().unwrap();
    let file = bundle.path().join("sting-images.tar");
    ok(dir, &["images", "save", file.to_str().unwrap()]);
    ok(dir, &["--yes", "uninstall"]);
    rt.block_on(async {
        for service in ["vault", "db", "stingd"] {
            let options = bollard::query_parameters::RemoveImageOptionsBuilder::default().force(true).build();
            docker.remove_image(&format!("{IMAGE_PREFIX}/{service}:latest"), Some(options), None).await.unwrap();
        }
    });
    let missing = msting(dir, &["images", "list"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    ok(dir, &["images", "load", file.to_str().unwrap()]);
    drop(bundle);
    let reinstalled = ok(dir, &["--yes", "install"]);
    assert!(!reinstalled.contains("initialised Vault"), "the data was lost: {reinstalled}");
    assert!(!reinstalled.contains("built "), "images were rebuilt rather than loaded: {reinstalled}");
    wait_healthy(dir, Duration::from_secs(120));
    assert_eq!(stingd_answers(https_port), 200);

    // 8. `uninstall --purge` removes everything of the stack and nothing else.
    let foreign = unique("foreign");
    rt.block_on(foreign_resources(&docker, &foreign));
    let purge = msting(dir, &["uninstall", "--purge"]);
    assert_ne!(purge.status.code(), Some(0), "--purge without --yes and without a terminal must not act");
    ok(dir, &["--yes", "uninstall", "--purge"]);
    rt.block_on(async {
        let left = msting::stack::resources::owned(&docker, &project).await.unwrap();
        assert_eq!(left, Default::default(), "the stack left {left:?}");
        assert!(docker.inspect_container(&foreign, None).await.is_ok(), "a foreign container was removed");
        assert!(docker.inspect_volume(&foreign).await.is_ok(), "a foreign volume was removed");
        assert!(
            docker.inspect_network(&foreign, None::<bollard::query_parameters::InspectNetworkOptions>).await.is_ok(),
            "a foreign network was removed"
        );
        let options = bollard::query_parameters::RemoveContainerOptionsBuilder::default().force(true).build();
        docker.remove_container(&foreign, Some(options)).await.unwrap();
        docker.remove_volume(&foreign, None::<bollard::query_parameters::RemoveVolumeOptions>).await.unwrap();
        docker.remove_network(&foreign).await.unwrap();
    });
}

fn container_ids(rt: &tokio::runtime::Runtime, docker: &Docker, project: &str) -> Vec<String> {
    rt.block_on(async {
        let mut ids = Vec::new();
        for name in msting::stack::containers::all_of_project(docker, project).await.unwrap() {
            ids.push(docker.inspect_container(&name, None).await.unwrap().id.unwrap());
        }
        ids.sort();
        ids
    })
}

/// A container, volume and network that are not the stack's, one of them even labelled as
/// another Compose project.
async fn foreign_resources(docker: &Docker, name: &str) {
    use std::collections::HashMap;
    let labels = HashMap::from([("com.docker.compose.project".to_string(), "someone-else".to_string())]);
    docker
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(name.into()),
            labels: Some(labels.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    docker
        .create_network(bollard::models::NetworkCreateRequest { name: name.into(), ..Default::default() })
        .await
        .unwrap();
    let base = sting_e2e::env::require(sting_e2e::Component::BaseImage);
    docker
        .create_container(
            Some(bollard::query_parameters::CreateContainerOptionsBuilder::default().name(name).build()),
            bollard::models::ContainerCreateBody {
                image: Some(base),
                cmd: Some(vec!["sleep".into(), "600".into()]),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

/// Stops dockerd as a shutdown does (SIGTERM) and starts it the way tests/env/setup.sh does.
fn restart_dockerd() {
    let pid = std::fs::read_to_string("/var/run/docker.pid").expect("dockerd's pid file").trim().to_string();
    let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "dockerd did not stop");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::process::Command::new("sh")
        .args(["-c", "setsid dockerd >>/var/log/dockerd.log 2>&1 < /dev/null &"])
        .status()
        .unwrap();
    let started = Instant::now();
    loop {
        let up = match Docker::connect_with_local_defaults() {
            Ok(docker) => runtime().block_on(async { docker.ping().await.is_ok() }),
            Err(_) => false,
        };
        if up {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "dockerd did not come back");
        std::thread::sleep(Duration::from_millis(500));
    }
}
