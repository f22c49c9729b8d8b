//! The stack's networks and volumes on the real Docker engine: made once with Compose labels
//! (the internal network really internal), found again by label, and removed — volumes only on
//! purge — without touching a foreign network or volume, even one named like ours.

use std::collections::HashMap;

use crate::common::{msting, text};
use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use msting::stack::resources::{self, PROJECT_LABEL, scoped};
use msting::stack::spec;

fn project() -> String {
    crate::common::unique("stingtest-res")
}

#[tokio::test]
async fn resources_are_made_once_found_by_label_and_removed_without_touching_foreign_ones() {
    let docker = msting::docker::connect().await.unwrap_or_else(|e| panic!("{e} (tests/env/setup.sh starts it)"));
    let project = project();
    let mut config = sting_config::Config::default();
    config.system.project_name = project.clone();
    let stack = spec::desired(&config);

    // Foreign: named like ours but unlabelled, and another project's.
    let lookalike_network = scoped(&project, "foreign");
    docker
        .create_network(NetworkCreateRequest { name: lookalike_network.clone(), ..Default::default() })
        .await
        .unwrap();
    let lookalike_volume = scoped(&project, "db-data-copy");
    docker
        .create_volume(VolumeCreateRequest { name: Some(lookalike_volume.clone()), ..Default::default() })
        .await
        .unwrap();
    let other_project = format!("{project}-other");
    let other_volume = scoped(&other_project, "db-data");
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(other_volume.clone()),
            labels: Some(HashMap::from([(PROJECT_LABEL.to_string(), other_project.clone())])),
            ..Default::default()
        })
        .await
        .unwrap();

    let made = resources::ensure(&docker, &stack).await.unwrap();
    assert_eq!(made.len(), 6, "three networks and three volumes: {made:?}");
    assert!(resources::ensure(&docker, &stack).await.unwrap().is_empty(), "a second time makes nothing");
    let owned = resources::owned(&docker, &project).await.unwrap();
    let expected = ["sting_edge", "sting_local", "sting_vault"].map(|n| scoped(&project, n));
    assert_eq!(owned.networks, expected);
    assert_eq!(owned.volumes.len(), 3);
    assert!(!owned.networks.contains(&lookalike_network) && !owned.volumes.contains(&lookalike_volume));
    let local = docker.inspect_network(&scoped(&project, "sting_local"), None).await.unwrap();
    assert_eq!(local.internal, Some(true), "sting_local has no route out");
    let vault = docker.inspect_network(&scoped(&project, "sting_vault"), None).await.unwrap();
    let options = vault.options.unwrap_or_default();
    assert_eq!(
        options.get(resources::MASQUERADE_OPTION).map(String::as_str),
        Some("false"),
        "Vault's own network has no way out"
    );

    let kept = resources::remove(&docker, &project, false).await.unwrap();
    assert_eq!(kept.networks.len(), 3);
    assert!(kept.volumes.is_empty(), "without purge the data stays");
    assert_eq!(resources::owned(&docker, &project).await.unwrap().volumes.len(), 3);
    let purged = resources::remove(&docker, &project, true).await.unwrap();
    assert_eq!(purged.volumes.len(), 3);
    assert_eq!(resources::owned(&docker, &project).await.unwrap(), Default::default());

    // Everything foreign is still there.
    assert!(docker.inspect_network(&lookalike_network, None).await.is_ok());
    assert!(docker.inspect_volume(&lookalike_volume).await.is_ok());
    assert!(docker.inspect_volume(&other_volume).await.is_ok());
    docker.remove_network(&lookalike_network).await.unwrap();
    for volume in [&lookalike_volume, &other_volume] {
        docker.remove_volume(volume, None::<bollard::query_parameters::RemoveVolumeOptions>).await.unwrap();
    }
}

#[tokio::test]
async fn uninstall_removes_only_the_stacks_resources_and_its_data_only_when_purging_with_consent() {
    let docker = msting::docker::connect().await.unwrap_or_else(|e| panic!("{e} (tests/env/setup.sh starts it)"));
    let project = project();
    let install = crate::common::install_dir(&format!("version: 1\nsystem:\n  project_name: {project}\n"));
    let mut config = sting_config::Config::default();
    config.system.project_name = project.clone();
    resources::ensure(&docker, &spec::desired(&config)).await.unwrap();
    // A container of the stack (not started), and a foreign one beside it.
    let image = sting_e2e::env::require(sting_e2e::Component::BaseImage);
    let create = |name: String, labels: HashMap<String, String>| {
        let docker = docker.clone();
        let image = image.clone();
        async move {
            docker
                .create_container(
                    Some(bollard::query_parameters::CreateContainerOptionsBuilder::default().name(&name).build()),
                    bollard::models::ContainerCreateBody {
                        image: Some(image),
                        cmd: Some(vec!["true".into()]),
                        labels: Some(labels),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
    };
    create(format!("{project}-stingd-1"), HashMap::from([(PROJECT_LABEL.to_string(), project.clone())])).await;
    let foreign = format!("{project}-foreign");
    create(foreign.clone(), HashMap::new()).await;

    let refused = msting(install.path(), &["uninstall", "--purge"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("--yes") && text(&refused).contains("msting backup"), "{}", text(&refused));
    assert_eq!(resources::owned(&docker, &project).await.unwrap().volumes.len(), 3, "nothing removed without consent");

    let kept = msting(install.path(), &["uninstall"]);
    assert!(kept.status.success(), "{}", text(&kept));
    assert!(text(&kept).contains("1 containers, 3 networks") && text(&kept).contains("3 volumes"), "{}", text(&kept));
    let left = resources::owned(&docker, &project).await.unwrap();
    assert!(left.containers.is_empty() && left.networks.is_empty() && left.volumes.len() == 3, "{left:?}");

    let purged = msting(install.path(), &["--yes", "uninstall", "--purge"]);
    assert!(purged.status.success(), "{}", text(&purged));
    assert_eq!(resources::owned(&docker, &project).await.unwrap(), Default::default());
    assert!(docker.inspect_container(&foreign, None).await.is_ok(), "a foreign container survives");
    docker
        .remove_container(
            &foreign,
            Some(bollard::query_parameters::RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .unwrap();
    let nothing = msting(install.path(), &["uninstall"]);
    assert!(nothing.status.success() && text(&nothing).contains("nothing of the stack"), "{}", text(&nothing));
    assert!(install.path().join("conf/config.yml").exists(), "the install directory stays");
}
