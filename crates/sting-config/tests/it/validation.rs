//! Broken configs, each made from the documented default by one edit, and what validation must
//! say about them: the code, the key path and the line, all at once.

use std::path::Path;

use sting_config::{Code, Config, DEFAULT_CONFIG_YAML, Diagnostics, Overrides, load_str};

const FILE: &str = "conf/config.yml";

fn load(text: &str) -> Result<sting_config::Loaded, Diagnostics> {
    load_str(Path::new(FILE), text, &Overrides::default())
}

/// The default config with `from` (which must occur exactly once) replaced by `to`.
fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = DEFAULT_CONFIG_YAML.to_string();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once in conf/config.yml");
        text = text.replacen(from, to, 1);
    }
    text
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line has `{needle}`")) + 1
}

fn errors(text: &str) -> Diagnostics {
    match load(text) {
        Ok(_) => panic!("this config should be rejected:\n{text}"),
        Err(d) => d,
    }
}

#[test]
fn the_documented_default_is_valid_and_equals_the_built_in_defaults() {
    let loaded = load(DEFAULT_CONFIG_YAML).unwrap_or_else(|d| panic!("{d}"));
    let mut expected = Config::default();
    // Loading makes paths absolute; do the same to the built-in defaults.
    let base = expected.paths.install_dir.clone();
    for p in [
        &mut expected.paths.data_dir,
        &mut expected.paths.models_dir,
        &mut expected.paths.backup_dir,
        &mut expected.paths.log_dir,
        &mut expected.paths.certs_dir,
        &mut expected.paths.secrets_dir,
    ] {
        *p = base.join(&*p);
    }
    expected.llm.models[0].path = expected.paths.models_dir.join(&expected.llm.models[0].path);
    assert_eq!(loaded.config, expected);
}

#[test]
fn a_typo_a_wrong_type_and_a_plain_secret_are_all_reported_with_their_lines() {
    let text = edited(&[
        ("  queue_depth: 64", "  queue_dpeth: 64"),
        ("  pool_size: 16", "  pool_size: lots"),
        ("  password: vault-ref:database/stingd#password", "  password: hunter2-very-secret"),
    ]);
    let d = errors(&text);
    assert_eq!(d.problems.len(), 3, "{d}");
    let find = |code| d.problems.iter().find(|p| p.code == code).unwrap_or_else(|| panic!("no {code:?} in {d}"));

    let typo = find(Code::UnknownKey);
    assert_eq!(typo.key, "llm.queue_dpeth");
    assert_eq!(typo.location.as_ref().unwrap().line, line_of(&text, "queue_dpeth"));
    assert_eq!(typo.hint.as_deref(), Some("did you mean `queue_depth`?"));

    let wrong = find(Code::WrongType);
    assert_eq!(wrong.key, "database.pool_size");
    assert_eq!(wrong.location.as_ref().unwrap().line, line_of(&text, "pool_size: lots"));
    assert!(wrong.message.contains("whole number"), "{}", wrong.message);

    let secret = find(Code::PlainSecret);
    assert_eq!(secret.key, "database.password");
    assert_eq!(secret.location.as_ref().unwrap().line, line_of(&text, "hunter2"));
    // The value itself is never repeated back.
    assert!(!d.to_string().contains("hunter2"), "{d}");
    assert!(!serde_json::to_string(&d).unwrap().contains("hunter2"));
    // The rendering names file, line and column.
    let rendered = d.to_string();
    assert!(
        rendered.contains(&format!("{FILE}:{}:3: error[unknown-key] llm.queue_dpeth", line_of(&text, "queue_dpeth"))),
        "{rendered}"
    );
}

/// One edit each, and the one diagnostic it must produce.
#[test]
fn each_kind_of_mistake_gets_its_own_code_key_and_line() {
    let cases: &[(&str, &str, Code, &str, &str)] = &[
        // (from, to, code, key path, text on the reported line)
        ("  project_name: sting-ce", "  project_nme: sting-ce", Code::UnknownKey, "system.project_nme", "project_nme"),
        ("\nsystem:\n", "\nsytem:\n", Code::UnknownKey, "sytem", "sytem:"),
        (
            "  environment: production",
            "  environment: prod",
            Code::InvalidValue,
            "system.environment",
            "environment: prod",
        ),
        ("  log_level: info", "  log_level: [info]", Code::WrongType, "system.log_level", "log_level: [info]"),
        (
            "  bind_address: 0.0.0.0",
            "  bind_address: everywhere",
            Code::InvalidValue,
            "system.bind_address",
            "everywhere",
        ),
        ("    https_port: 443", "    https_port: 70000", Code::InvalidValue, "services.stingd.https_port", "70000"),
        ("    https_port: 443", "    https_port: 0", Code::InvalidValue, "services.stingd.https_port", "https_port: 0"),
        (
            "    memory_limit: 4g",
            "    memory_limit: four gigs",
            Code::InvalidValue,
            "services.stingd.memory_limit",
            "four gigs",
        ),
        ("  connect_timeout: 5s", "  connect_timeout: soon", Code::InvalidValue, "database.connect_timeout", "soon"),
        ("\n    api: 10/s", "\n    api: fast", Code::InvalidValue, "auth.rate_limits.api", "api: fast"),
        ("      auth: 5/m", "      auth: slowly", Code::InvalidValue, "auth.rate_limits.per_user.auth", "auth: slowly"),
        (
            "  methods: [magic-link, passkey, totp]",
            "  methods: [magic-link, passkee]",
            Code::InvalidValue,
            "auth.methods[1]",
            "passkee",
        ),
        ("  unseal: auto", "  unseal:\n    mode: auto", Code::WrongType, "vault.unseal", "mode: auto"),
        ("    password: null", "    password: smtp-pass-123", Code::PlainSecret, "auth.smtp.password", "smtp-pass-123"),
        (
            "    password: null",
            "    password: vault-ref:smtp",
            Code::InvalidValue,
            "auth.smtp.password",
            "password: vault-ref:smtp",
        ),
        ("      context: 4096", "      context: -1", Code::InvalidValue, "llm.models[0].context", "context: -1"),
        ("      gpu_layers: auto", "      gpu_layers: many", Code::InvalidValue, "llm.models[0].gpu_layers", "many"),
        ("      pinned: false", "      pinned: maybe", Code::WrongType, "llm.models[0].pinned", "maybe"),
        ("  min_score: 0.5", "  min_score: 1.5", Code::InvalidValue, "pii.min_score", "1.5"),
        ("  mode: flag", "  mode: shout", Code::InvalidValue, "pii.mode", "shout"),
        ("  keep_last: 3", "  keep_last: three", Code::WrongType, "backup.retention.keep_last", "three"),
        ("  extra_names: []", "  extra_names: none", Code::WrongType, "tls.extra_names", "extra_names: none"),
    ];
    let mut failures = Vec::new();
    for (from, to, code, key, line_text) in cases {
        let text = edited(&[(from, to)]);
        let d = errors(&text);
        let want_line = line_of(&text, line_text);
        let ok = d.problems.len() == 1
            && d.problems[0].code == *code
            && d.problems[0].key == *key
            && d.problems[0].location.as_ref().map(|l| l.line) == Some(want_line);
        if !ok {
            failures.push(format!("`{to}`: want {code:?} {key} line {want_line}, got:\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unknown_choices_and_keys_suggest_the_close_match() {
    let d = errors(&edited(&[("  provider: openbao", "  provider: openboa")]));
    assert_eq!(d.problems[0].hint.as_deref(), Some("did you mean `openbao`?"), "{d}");
    let d = errors(&edited(&[("  registration: invite", "  registraton: invite")]));
    assert_eq!(d.problems[0].hint.as_deref(), Some("did you mean `registration`?"), "{d}");
    // Nothing close: list what is allowed instead.
    let d = errors(&edited(&[("  kv_mount: sting", "  kv_mount: sting\n  zzzzzz: 1")]));
    assert!(d.problems[0].hint.as_deref().unwrap().starts_with("known keys here:"), "{d}");
}

#[test]
fn rules_across_keys_are_checked_with_the_right_line() {
    /// (edits, key path reported, text on the reported line)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("  key_threshold: 3", "  key_threshold: 6")], "vault.key_threshold", "key_threshold: 6"),
        (&[("  magic_link_ttl: 15m", "  magic_link_ttl: 1h")], "auth.magic_link_ttl", "magic_link_ttl: 1h"),
        (&[("  methods: [magic-link, passkey, totp]", "  methods: [password]")], "auth.methods", "methods: [password]"),
        (&[("  methods: [magic-link, passkey, totp]", "  methods: []")], "auth.methods", "methods: []"),
        (&[("    http_port: 80", "    http_port: 443")], "services.stingd.http_port", "http_port: 443"),
        (
            &[("    replicas: 1\n    # NVIDIA", "    replicas: 2\n    # NVIDIA")],
            "services.stingd.replicas",
            "replicas: 2",
        ),
        (&[("  default_model: bee", "  default_model: be")], "llm.default_model", "default_model: be"),
        (&[("      aliases: [gemma3-270m]", "      aliases: [bee]")], "llm.models[0].aliases[0]", "aliases: [bee]"),
        (&[("      sha256: null", "      sha256: abc")], "llm.models[0].sha256", "sha256: abc"),
        (&[("  project_name: sting-ce", "  project_name: Sting CE")], "system.project_name", "project_name: Sting CE"),
        (&[("  domain: localhost", "  domain: sting example")], "system.domain", "domain: sting example"),
        (&[("  domain: localhost", "  domain: -sting.example.org")], "system.domain", "domain: -sting.example.org"),
        (
            &[("  install_dir: /opt/sting-ce", "  install_dir: opt/sting")],
            "paths.install_dir",
            "install_dir: opt/sting",
        ),
        (&[("  trusted_proxies: []", "  trusted_proxies: [10.0.0.0/33]")], "auth.trusted_proxies[0]", "10.0.0.0/33"),
        (
            &[(
                "  share_recipients: []",
                "  share_recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]",
            )],
            "vault.share_recipients",
            "share_recipients: [age1",
        ),
        (&[("  recipients: []", "  recipients: [AGE-SECRET-KEY-1QQQQ]")], "backup.recipients[0]", "AGE-SECRET-KEY"),
        (&[("  mode: local-ca", "  mode: provided")], "tls.provided.cert_file", "cert_file: null"),
        (
            &[("  disk_free_warning_percent: 15", "  disk_free_warning_percent: 3")],
            "health.disk_free_warning_percent",
            "disk_free_warning_percent: 3",
        ),
        (
            &[("  backup_warning_age: 26h", "  backup_warning_age: 4d")],
            "health.backup_warning_age",
            "backup_warning_age: 4d",
        ),
        (&[("    idle_timeout: 30m", "    idle_timeout: 1d")], "auth.session.idle_timeout", "idle_timeout: 1d"),
        (
            &[
                ("  provider: builtin", "  provider: kratos"),
                ("    public_url: http://kratos:4433", "    public_url: kratos"),
            ],
            "auth.kratos.public_url",
            "public_url: kratos",
        ),
        (
            &[
                ("  provider: builtin", "  provider: kratos"),
                ("    session_cookie: ory_kratos_session", "    session_cookie: \"my session\""),
            ],
            "auth.kratos.session_cookie",
            "session_cookie: \"my session\"",
        ),
    ];
    let mut failures = Vec::new();
    for (edits, key, line_text) in cases {
        let text = edited(edits);
        let d = errors(&text);
        let want_line = line_of(&text, line_text);
        let hit = d.problems.iter().any(|p| p.key == *key && p.location.as_ref().map(|l| l.line) == Some(want_line));
        if !hit {
            failures.push(format!("{edits:?}: want {key} on line {want_line}, got:\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // A private key pasted as a recipient is not echoed.
    let d = errors(&edited(&[("  recipients: []", "  recipients: [AGE-SECRET-KEY-1QQQQ]")]));
    assert!(!d.to_string().contains("AGE-SECRET-KEY"), "{d}");
}

#[test]
fn yaml_syntax_errors_and_duplicate_keys_point_at_the_line() {
    let text = edited(&[("  domain: localhost", "  domain: [localhost")]);
    let d = errors(&text);
    assert_eq!(d.codes(), vec![Code::Syntax], "{d}");
    assert!(d.problems[0].location.is_some());

    let text = edited(&[("  domain: localhost", "  domain: localhost\n  domain: example.org")]);
    let d = errors(&text);
    assert_eq!(d.codes(), vec![Code::DuplicateKey], "{d}");
    assert_eq!(d.problems[0].location.as_ref().unwrap().line, line_of(&text, "example.org"));

    let d = errors("version: 1\nsystem:\n\tdomain: x\n");
    assert_eq!(d.codes(), vec![Code::Syntax], "{d}");

    let d = errors("version: 1\ndefaults: &d {a: 1}\n");
    assert_eq!(d.codes(), vec![Code::Syntax], "{d}");

    let d = errors("version: 1\nhealth: 5\n");
    assert_eq!(d.codes(), vec![Code::WrongType], "{d}");
    assert_eq!(d.problems[0].key, "health");

    let d = errors("- just\n- a list\n");
    assert_eq!(d.codes(), vec![Code::WrongType], "{d}");
}

#[test]
fn versions_missing_newer_older_or_malformed_are_explained() {
    let d = errors("# only comments\n\n");
    assert_eq!(d.codes(), vec![Code::MissingKey], "{d}");

    let d = errors("system:\n  domain: example.org\n");
    assert_eq!(d.codes(), vec![Code::MissingKey]);
    assert!(d.problems[0].hint.as_deref().unwrap().contains("version: 1"));

    let d = errors("app:\n  flask:\n    port: 5050\n");
    assert_eq!(d.codes(), vec![Code::OutdatedVersion]);
    assert!(d.problems[0].hint.as_deref().unwrap().contains("msting config migrate"), "{d}");

    let d = errors("version: 7\n");
    assert_eq!(d.codes(), vec![Code::UnsupportedVersion]);
    assert!(d.to_string().contains("newer"), "{d}");

    let d = errors("version: one\n");
    assert_eq!(d.codes(), vec![Code::WrongType]);
}

#[test]
fn a_minimal_file_gets_every_default() {
    let loaded = load("version: 1\n").unwrap();
    assert_eq!(loaded.config.system, Config::default().system);
    assert_eq!(loaded.config.vault.key_threshold, 3);
    // An empty section reads as defaults too.
    let loaded = load("version: 1\nsystem:\n  domain: sting.example.org\n").unwrap();
    assert_eq!(loaded.config.system.domain, "sting.example.org");
    assert_eq!(loaded.config.system.project_name, "sting-ce");
}

#[test]
fn quoted_numbers_are_text_and_plain_numbers_fit_text_keys() {
    // A port written as a quoted string is not a number.
    let d = errors("version: 1\nservices:\n  stingd:\n    https_port: \"443\"\n");
    assert_eq!(d.codes(), vec![Code::WrongType], "{d}");
    // A domain that YAML would read as a number is still a valid text value.
    let loaded = load("version: 1\nimages:\n  tag: 2026.11\n").unwrap();
    assert_eq!(loaded.config.images.tag, "2026.11");
}

#[test]
fn environment_overrides_paths_and_rejects_relative_ones() {
    let overrides = Overrides::from_vars([
        ("STING_INSTALL_DIR".to_string(), "/srv/sting".to_string()),
        ("STING_MODELS_DIR".to_string(), "/mnt/models".to_string()),
    ]);
    let loaded = load_str(Path::new(FILE), DEFAULT_CONFIG_YAML, &overrides).unwrap();
    let paths = &loaded.config.paths;
    assert_eq!(paths.install_dir, Path::new("/srv/sting"));
    assert_eq!(paths.data_dir, Path::new("/srv/sting/data"), "relative paths follow install_dir");
    assert_eq!(paths.models_dir, Path::new("/mnt/models"));
    assert_eq!(loaded.config.llm.models[0].path, Path::new("/mnt/models/gemma-3-270m-q4_k_m.gguf"));
    assert_eq!(loaded.overrides.len(), 2);

    let bad = Overrides::from_vars([("STING_DATA_DIR".to_string(), "relative/dir".to_string())]);
    let d = load_str(Path::new(FILE), DEFAULT_CONFIG_YAML, &bad).unwrap_err();
    assert_eq!(d.codes(), vec![Code::BadEnvironment]);
    assert_eq!(d.problems[0].key, "STING_DATA_DIR");
    assert!(d.problems[0].location.is_none());
}

#[test]
fn every_key_of_the_schema_is_documented_in_the_default_file() {
    // Walk the schema; every property must be written in conf/config.yml with a comment above
    // it (or on its line).
    let schema = sting_config::json_schema();
    let doc = sting_config::Document::parse(Path::new(FILE), DEFAULT_CONFIG_YAML).unwrap();
    let lines: Vec<&str> = DEFAULT_CONFIG_YAML.lines().collect();
    let mut missing = Vec::new();
    let mut undocumented = Vec::new();
    let mut stack = vec![(String::new(), schema.clone())];
    while let Some((path, node)) = stack.pop() {
        let node = resolve(schema, &node);
        if let Some(items) = node.get("items") {
            stack.push((format!("{path}[0]"), items.clone()));
        }
        if let Some(alts) = node.get("anyOf").and_then(|a| a.as_array()) {
            for alt in alts {
                stack.push((path.clone(), alt.clone()));
            }
        }
        let Some(props) = node.get("properties").and_then(|p| p.as_object()) else { continue };
        if !path.is_empty() && doc.node(&path).and_then(|n| n.as_mapping()).is_none() {
            continue; // an optional sub-object written as null, e.g. a model's `remote`
        }
        for (name, sub) in props {
            let key = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            match doc.location_of(&key) {
                Some(loc) if doc.node(&key).is_some() => {
                    let here = lines[loc.line - 1];
                    let above =
                        lines[..loc.line - 1].iter().rev().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
                    let leads_item = here.trim_start().starts_with("- ");
                    if !here.contains('#') && !above.trim_start().starts_with('#') && !leads_item {
                        undocumented.push(key.clone());
                    }
                }
                _ => missing.push(key.clone()),
            }
            stack.push((key, sub.clone()));
        }
    }
    assert!(missing.is_empty(), "keys missing from conf/config.yml: {missing:?}");
    assert!(undocumented.is_empty(), "keys without a comment in conf/config.yml: {undocumented:?}");
}

fn resolve<'a>(root: &'a serde_json::Value, node: &'a serde_json::Value) -> &'a serde_json::Value {
    match node.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => &root["$defs"][r.rsplit('/').next().unwrap()],
        None => node,
    }
}

#[test]
fn environment_variables_expand_in_values_and_unset_ones_are_named_with_their_line() {
    let text = "version: 1\nllm:\n  llama_server: ${LLAMA}\n  models:\n    - name: bee\n      path: ${MODEL}\n";
    let env =
        [("LLAMA".to_string(), "/usr/bin/llama-server".to_string()), ("MODEL".to_string(), "/m/bee.gguf".to_string())];
    let loaded = load_str(Path::new(FILE), text, &Overrides::default().with_environment(env.clone())).unwrap();
    assert_eq!(loaded.config.llm.llama_server.as_deref(), Some(Path::new("/usr/bin/llama-server")));
    assert_eq!(loaded.config.llm.models[0].path, Path::new("/m/bee.gguf"));

    let d = load_str(Path::new(FILE), text, &Overrides::default().with_environment([env[0].clone()])).unwrap_err();
    assert_eq!(d.codes(), vec![Code::BadEnvironment]);
    assert_eq!(d.problems[0].key, "llm.models[0].path");
    assert_eq!(d.problems[0].location.as_ref().unwrap().line, 6);
    assert!(d.problems[0].message.contains("MODEL is not set"));

    // A secret field filled from the environment is still a plain value, and still refused.
    let secret = "version: 1\ndatabase:\n  password: ${DB_PASSWORD}\n";
    let env = [("DB_PASSWORD".to_string(), "hunter2".to_string())];
    let d = load_str(Path::new(FILE), secret, &Overrides::default().with_environment(env)).unwrap_err();
    assert_eq!(d.codes(), vec![Code::PlainSecret]);
    assert!(!d.to_string().contains("hunter2"));
}
