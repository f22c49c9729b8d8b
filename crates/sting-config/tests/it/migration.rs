//! Migrating the original STING-CE's config.yml (version 0, no `version` key) to version 1.

use std::path::Path;

use sting_config::{AuthProvider, CURRENT_VERSION, Code, DEFAULT_CONFIG_YAML, Overrides, load_str, migrate};

/// The original's config, as its architecture guide documents it, with an operator's comments.
const ORIGINAL: &str = "\
# Our STING install (edited by ops)
app:
  flask:
    secret_key: vault-generated
    port: 5050
    debug: false

auth:
  kratos:
    # behind the VPN
    public_url: https://localhost:4433
    admin_url: https://localhost:4434

database:
  postgresql:
    # the db container
    host: db
    port: 5432
    name: sting_app

llm:
  models:
    - name: llama3
      enabled: true
      memory_limit: 8G
    - name: phi3
      enabled: true
      memory_limit: 4G

# Beeacon
observability:
  enabled: true
  profiles:
    - observability
    - full
  grafana:
    enabled: true
    port: 3000
  loki:
    enabled: true
    retention_period: 168h
";

#[test]
fn the_original_layout_migrates_to_a_valid_config_that_keeps_its_settings_and_comments() {
    let file = Path::new("/opt/sting-ce/conf/config.yml");
    let m = migrate(file, ORIGINAL).unwrap().expect("a migration is needed");
    assert_eq!((m.from, m.to), (0, CURRENT_VERSION));
    assert!(m.problems.is_none(), "the migrated file must validate:\n{}\n{}", m.new_text, m.problems.unwrap());

    let loaded = load_str(file, &m.new_text, &Overrides::default()).unwrap();
    let c = &loaded.config;
    assert_eq!(c.version, CURRENT_VERSION);
    assert_eq!(c.database.host, "db");
    assert_eq!(c.database.port, 5432);
    assert_eq!(c.database.name, "sting_app");
    assert_eq!(c.auth.provider, AuthProvider::Kratos);
    assert_eq!(c.auth.kratos.public_url, "https://localhost:4433");

    // The operator's comments survive, moved with their keys.
    assert!(m.new_text.starts_with("# Our STING install (edited by ops)\nversion: 1\n"), "{}", m.new_text);
    assert!(m.new_text.contains("    # behind the VPN\n    public_url"), "{}", m.new_text);
    assert!(m.new_text.contains("database:\n  # the db container\n  host: db\n"), "{}", m.new_text);

    // Everything dropped is explained.
    let notes = m.notes.join("\n");
    for key in [
        "app.flask.secret_key",
        "app.flask.port",
        "app.flask.debug",
        "llm.models",
        "llama3, phi3",
        "observability.grafana",
        "observability.loki",
        "auth.provider",
    ] {
        assert!(notes.contains(key), "no note about {key}:\n{notes}");
    }

    // The diff is a readable unified diff of exactly that change.
    let diff = m.diff(file);
    assert!(diff.contains("--- /opt/sting-ce/conf/config.yml (version 0)"), "{diff}");
    assert!(diff.contains("+version: 1"));
    assert!(diff.contains("-  postgresql:"));
    assert!(diff.contains("+  provider: kratos"));
}

#[test]
fn a_current_config_needs_no_migration() {
    assert!(migrate(Path::new("c.yml"), DEFAULT_CONFIG_YAML).unwrap().is_none());
}

#[test]
fn a_file_from_a_newer_release_is_refused() {
    let err = migrate(Path::new("c.yml"), "version: 99\n").unwrap_err();
    assert_eq!(err.codes(), vec![Code::UnsupportedVersion]);
}

#[test]
fn leftovers_no_migration_knows_are_reported_not_dropped() {
    let text = "app:\n  flask:\n    port: 5050\nmessaging:\n  queue: redis\n";
    let m = migrate(Path::new("c.yml"), text).unwrap().unwrap();
    let problems = m.problems.expect("an unknown section must be reported");
    assert_eq!(problems.codes(), vec![Code::UnknownKey]);
    assert_eq!(problems.problems[0].key, "messaging");
    assert!(m.new_text.contains("messaging:\n  queue: redis"), "kept for the operator to decide:\n{}", m.new_text);
}

#[test]
fn a_plain_password_in_the_original_is_removed_and_explained_never_carried_over() {
    let text = "database:\n  postgresql:\n    host: db\n    password: postgres\n";
    let m = migrate(Path::new("c.yml"), text).unwrap().unwrap();
    assert!(!m.new_text.contains("postgres\n"), "{}", m.new_text);
    assert!(m.notes.iter().any(|n| n.contains("database.postgresql.password") && n.contains("Vault")), "{:?}", m.notes);
    assert!(m.problems.is_none());
}
