//! The first `msting install` at a console: it asks what matters (domain, bind address, mail
//! server, the first admin, the default model), writes the answers into a config that keeps the
//! documented comments, and offers to copy the default model in, checking it is that model.
//! The bind address typed here is not this machine's, so preflight stops the install before
//! it changes anything on the engine.

use crate::common::msting_on_terminal;

#[test]
fn the_first_install_asks_writes_the_answers_and_copies_the_default_model_in() {
    let model = sting_e2e::env::require_path(sting_e2e::Component::TestModel);
    let install = tempfile::tempdir().unwrap();
    let dir = install.path();
    let not_a_model = dir.join("notes.txt");
    std::fs::write(&not_a_model, "not a model").unwrap();

    // Domain, bind address (TEST-NET, not ours), mail server and port, admin, a wrong model file.
    let typed =
        format!("sting.example.org\n192.0.2.10\nmail.example.org\n465\nadmin@example.org\n{}\n", not_a_model.display());
    let (ok, said) = msting_on_terminal(dir, &["install"], &typed);
    assert!(!ok, "{said}");
    assert!(said.contains("Mail server for invitations") && said.contains("Email of the first admin"), "{said}");
    assert!(said.contains("is not the file the config names for `bee`"), "{said}");
    let models = dir.join("models");
    assert!(!models.join("gemma-3-270m-q4_k_m.gguf").exists(), "a wrong file was copied in");

    let config = std::fs::read_to_string(dir.join("conf/config.yml")).unwrap();
    let loaded = sting_config::load_str(&dir.join("conf/config.yml"), &config, &Default::default()).unwrap().config;
    assert_eq!(loaded.system.domain, "sting.example.org");
    assert_eq!(loaded.system.bind_address.to_string(), "192.0.2.10");
    assert_eq!(loaded.auth.smtp.host.as_deref(), Some("mail.example.org"));
    assert_eq!((loaded.auth.smtp.port, loaded.auth.smtp.security), (465, sting_config::SmtpSecurity::Tls));
    assert!(config.contains("# SMTP password, as vault-ref:smtp#password."), "the documentation comments were lost");

    // Again, with the real model: the config is not asked for twice; the model is copied in,
    // and preflight refuses the foreign bind address before anything is made.
    let (ok, said) = msting_on_terminal(dir, &["install"], &format!("{}\n", model.display()));
    assert!(!ok, "{said}");
    assert!(!said.contains("Host name people will use"), "asked for the config again: {said}");
    assert!(said.contains("copied") && said.contains("preflight failed"), "{said}");
    let copied = models.join("gemma-3-270m-q4_k_m.gguf");
    assert_eq!(std::fs::metadata(&copied).unwrap().len(), std::fs::metadata(&model).unwrap().len());
    assert_eq!(std::fs::read_to_string(dir.join("conf/config.yml")).unwrap(), config, "the config was rewritten");
}
