//! The offline bundle on the real engine: the stack's images (here, tags of the test base image
//! under a prefix of the test's own) are listed, saved to one file, removed, loaded back from it;
//! a bundle is refused while an image is missing, and a file that is not a bundle is refused.

use crate::common::{msting, text};
use bollard::query_parameters::{RemoveImageOptionsBuilder, TagImageOptionsBuilder};

#[tokio::test]
async fn images_are_saved_to_one_file_and_loaded_back() {
    let docker = msting::docker::connect().await.unwrap_or_else(|e| panic!("{e} (tests/env/setup.sh starts it)"));
    let base = sting_e2e::env::require(sting_e2e::Component::BaseImage);
    let prefix = crate::common::unique("stingtest-img");
    let install = crate::common::install_dir(&format!(
        "version: 1
images:
  prefix: {prefix}
  tag: t1
"
    ));
    let services = ["vault", "db", "stingd"];
    let remove_all = || async {
        for service in services {
            let _ = docker
                .remove_image(
                    &format!("{prefix}/{service}:t1"),
                    Some(RemoveImageOptionsBuilder::default().noprune(true).build()),
                    None,
                )
                .await;
        }
    };

    let missing = msting(install.path(), &["images", "list"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(text(&missing).contains("missing"));
    let bundle = install.path().join("bundle.tar");
    let refused = msting(install.path(), &["images", "save", bundle.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains(&format!("{prefix}/vault:t1")) && !bundle.exists(), "{}", text(&refused));

    for service in services {
        docker
            .tag_image(
                &base,
                Some(TagImageOptionsBuilder::default().repo(&format!("{prefix}/{service}")).tag("t1").build()),
            )
            .await
            .unwrap();
    }
    let present = msting(install.path(), &["images", "list"]);
    assert!(present.status.success(), "{}", text(&present));
    let saved = msting(install.path(), &["images", "save", bundle.to_str().unwrap()]);
    assert!(saved.status.success(), "{}", text(&saved));
    assert!(std::fs::metadata(&bundle).unwrap().len() > 1 << 20, "the images are in it");
    let leftovers: Vec<_> = std::fs::read_dir(install.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());

    remove_all().await;
    assert_eq!(msting(install.path(), &["images", "list"]).status.code(), Some(1), "removed");
    let loaded = msting(install.path(), &["images", "load", bundle.to_str().unwrap()]);
    assert!(loaded.status.success(), "{}", text(&loaded));
    let back = msting(install.path(), &["--json", "images", "list"]);
    let states: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
    assert!(states.as_array().unwrap().iter().all(|s| s["present"] == true), "{states}");

    let junk = install.path().join("junk.tar");
    std::fs::write(&junk, "not a tar").unwrap();
    let refused = msting(install.path(), &["images", "load", junk.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    remove_all().await;
}

/// DESIGN.md's order for a missing image: pulled when `images.pull` allows, else built from
/// its recipe. No registry answers here, so the pull fails and the build takes over; an image
/// with no recipe (mailpit) is refused with how to bring it.
#[tokio::test]
async fn a_missing_image_that_cannot_be_pulled_is_built_and_one_without_a_recipe_says_how_to_get_it() {
    use sting_config::PullPolicy;
    let docker = msting::docker::connect().await.unwrap_or_else(|e| panic!("{e} (tests/env/setup.sh starts it)"));
    let base = sting_e2e::env::require(sting_e2e::Component::BaseImage);
    let mut config = sting_config::Config::default();
    // Port 9 (discard) refuses: a registry that does not answer, as on an air-gapped host.
    config.images.prefix = format!("127.0.0.1:9/{}", crate::common::unique("stingtest-pull"));
    config.images.tag = "t1".into();
    config.images.base = base.clone();
    config.services.mailpit.enabled = true;
    let only = |name: &str| {
        let mut stack = msting::stack::spec::desired(&config);
        stack.services.retain(|s| s.name == name);
        stack
    };
    let inputs = msting::recipes::Inputs::default();

    let mailpit = only("mailpit");
    for (policy, says) in [(PullPolicy::IfMissing, "pulling it failed"), (PullPolicy::Never, "images.pull is never")] {
        let error = msting::images::obtain(&docker, &mailpit, policy, &base, &inputs, &mut |_| {}).await.unwrap_err();
        let error = format!("{error:#}");
        assert!(error.contains(msting::stack::spec::MAILPIT_IMAGE) && error.contains(says), "{error}");
        assert!(error.contains("msting images load"), "{error}");
    }

    let db = only("db");
    let image = db.services[0].image.clone();
    let mut log = Vec::new();
    let obtained =
        msting::images::obtain(&docker, &db, PullPolicy::IfMissing, &base, &inputs, &mut |l| log.push(l.to_string()))
            .await
            .unwrap();
    assert_eq!(
        obtained.iter().map(|o| (o.service, o.how)).collect::<Vec<_>>(),
        [("db", msting::images::Outcome::Built)],
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.starts_with(&format!("cannot pull {image}"))), "{log:?}");
    let built = docker.inspect_image(&image).await.expect("the built image");
    assert!(built.config.unwrap().labels.unwrap().contains_key(msting::recipes::RECIPE_LABEL));
    // Present now: nothing pulled or built again.
    let again = msting::images::obtain(&docker, &db, PullPolicy::IfMissing, &base, &inputs, &mut |_| {}).await.unwrap();
    assert!(again.is_empty(), "{again:?}");

    docker.remove_image(&image, Some(RemoveImageOptionsBuilder::default().force(true).build()), None).await.unwrap();
}

/// `msting images base`: a Debian root made by debootstrap from this machine's apt sources,
/// the security suite among them, imported through the API: it runs, and keeps no package lists.
#[tokio::test]
async fn the_base_image_is_made_with_debootstrap_and_includes_the_security_suite() {
    use bollard::query_parameters::{LogsOptionsBuilder, RemoveContainerOptionsBuilder};
    use futures_util::StreamExt;
    let docker = msting::docker::connect().await.unwrap_or_else(|e| panic!("{e} (tests/env/setup.sh starts it)"));
    let name = format!("{}/base:t1", crate::common::unique("stingtest-base"));
    let install = crate::common::install_dir(&format!("version: 1\nimages:\n  base: {name}\n"));
    let made = msting(install.path(), &["images", "base"]);
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains(&format!("made {name}")), "{}", text(&made));

    let script = "cat /etc/debian_version; cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; \
                  echo lists=$(ls /var/lib/apt/lists | grep -vc '^lock$\\|^partial$\\|^auxfiles$')";
    let body = bollard::models::ContainerCreateBody {
        image: Some(name.clone()),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        ..Default::default()
    };
    let container = docker.create_container(None, body).await.unwrap().id;
    docker.start_container(&container, None).await.unwrap();
    let mut waited = docker.wait_container(&container, None);
    while waited.next().await.is_some() {}
    let mut logs = docker.logs(&container, Some(LogsOptionsBuilder::default().stdout(true).stderr(true).build()));
    let mut said = String::new();
    while let Some(Ok(chunk)) = logs.next().await {
        said.push_str(&chunk.to_string());
    }
    docker
        .remove_container(&container, Some(RemoveContainerOptionsBuilder::default().force(true).build()))
        .await
        .unwrap();
    docker.remove_image(&name, Some(RemoveImageOptionsBuilder::default().force(true).build()), None).await.unwrap();

    assert!(said.lines().next().is_some_and(|l| l.starts_with("12.")), "not Debian 12:\n{said}");
    assert!(said.contains("bookworm-security"), "no security suite:\n{said}");
    assert!(said.contains("lists=0"), "package lists left in the image:\n{said}");
}
