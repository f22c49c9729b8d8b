//! Rules that span several keys or need more than a type: a threshold no larger than the share
//! count, unique model names, a password never alone, ... Run on the typed config once the
//! schema walk found nothing, and reported with the same key paths.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{AuthProvider, Config, SignInMethod, TlsMode};
use crate::values::Duration;

/// The longest a sign-in link may live, whatever the config says.
pub const MAX_MAGIC_LINK_TTL: Duration = Duration::from_mins(15);

pub(crate) fn check(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut problem = |key: &str, message: String, hint: &str| {
        let d = Diagnostic::new(Code::InvalidValue, key, message);
        out.push(if hint.is_empty() { d } else { d.hint(hint) });
    };

    let project = &config.system.project_name;
    let project_ok = project.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && project.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !project_ok {
        problem(
            "system.project_name",
            format!("`{project}` cannot name Docker resources"),
            "use lowercase letters, digits, `-` and `_`, starting with a letter or digit",
        );
    }

    let domain = &config.system.domain;
    // A fully qualified name may end with its dot.
    if !crate::values::is_host_name(domain.strip_suffix('.').unwrap_or(domain)) {
        problem(
            "system.domain",
            format!("`{domain}` is not a host name"),
            "people reach STING by it, and its certificate and sign-in origin carry it: use letters, digits, `-` and dots, such as sting.example.org",
        );
    }

    if config.paths.install_dir.is_relative() {
        problem(
            "paths.install_dir",
            format!("`{}` is not an absolute path", config.paths.install_dir.display()),
            "write it from the root, such as /opt/sting-ce (other paths may be relative to it)",
        );
    }

    let stingd = &config.services.stingd;
    if stingd.https_port == stingd.http_port {
        problem(
            "services.stingd.http_port",
            format!("port {} is also the HTTPS port", stingd.http_port),
            "give HTTP and HTTPS different ports",
        );
    }
    if stingd.replicas > 1 && !config.services.redis.enabled {
        problem(
            "services.stingd.replicas",
            format!("{} replicas need shared rate limits and sessions", stingd.replicas),
            "set `services.redis.enabled: true`, or run one replica",
        );
    }

    let vault = &config.vault;
    if vault.key_threshold > vault.key_shares {
        problem(
            "vault.key_threshold",
            format!("a threshold of {} cannot be met with {} shares", vault.key_threshold, vault.key_shares),
            "make `key_threshold` at most `key_shares`",
        );
    }
    if !vault.share_recipients.is_empty() && vault.share_recipients.len() != vault.key_shares as usize {
        problem(
            "vault.share_recipients",
            format!(
                "{} recipients for {} shares: each holder receives one share",
                vault.share_recipients.len(),
                vault.key_shares
            ),
            "list one age recipient per share (as many as `key_shares`), or none to see the shares on the terminal",
        );
    }
    for (i, recipient) in vault.share_recipients.iter().enumerate() {
        check_age_recipient(&format!("vault.share_recipients[{i}]"), recipient, &mut problem);
    }
    for (i, recipient) in config.backup.recipients.iter().enumerate() {
        check_age_recipient(&format!("backup.recipients[{i}]"), recipient, &mut problem);
    }

    let auth = &config.auth;
    if auth.magic_link_ttl > MAX_MAGIC_LINK_TTL || auth.magic_link_ttl < Duration::from_mins(1) {
        problem(
            "auth.magic_link_ttl",
            format!("sign-in links must live between 1 minute and 15 minutes, not {}", auth.magic_link_ttl),
            "a link in a mailbox is a key to the account: keep it short",
        );
    }
    if auth.methods.is_empty() {
        problem(
            "auth.methods",
            "no sign-in method is enabled: nobody could sign in".into(),
            "list at least `magic-link` or `passkey`",
        );
    } else if auth.methods == [SignInMethod::Password] {
        problem(
            "auth.methods",
            "a password needs a second factor, and none is enabled".into(),
            "add `totp` or `passkey` to `auth.methods`",
        );
    }
    if auth.session.idle_timeout > auth.session.absolute_timeout {
        problem(
            "auth.session.idle_timeout",
            format!(
                "the idle timeout ({}) is longer than the absolute one ({})",
                auth.session.idle_timeout, auth.session.absolute_timeout
            ),
            "make `idle_timeout` at most `absolute_timeout`",
        );
    }
    for (i, proxy) in auth.trusted_proxies.iter().enumerate() {
        if !is_ip_or_cidr(proxy) {
            problem(
                &format!("auth.trusted_proxies[{i}]"),
                format!("`{proxy}` is not an IP address or network"),
                "write an address such as `10.0.0.5` or a network such as `10.0.0.0/24`",
            );
        }
    }

    if auth.provider == AuthProvider::Kratos {
        let kratos = &auth.kratos;
        let is_http = url::Url::parse(&kratos.public_url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !is_http {
            problem(
                "auth.kratos.public_url",
                format!("`{}` is not an http(s) URL", kratos.public_url),
                "write Kratos's public API address, such as `http://kratos:4433`",
            );
        }
        let is_token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if kratos.session_cookie.is_empty() || !kratos.session_cookie.chars().all(is_token) {
            problem(
                "auth.kratos.session_cookie",
                format!("`{}` is not a cookie name", kratos.session_cookie),
                "write the name Kratos's `session.cookie.name` sets (by default `ory_kratos_session`)",
            );
        }
    }

    check_models(config, &mut problem);

    if config.tls.mode == TlsMode::Provided {
        for (key, value) in [
            ("tls.provided.cert_file", &config.tls.provided.cert_file),
            ("tls.provided.key_file", &config.tls.provided.key_file),
        ] {
            if value.is_none() {
                problem(
                    key,
                    "`tls.mode: provided` needs this file".into(),
                    "give the path of your PEM file, or choose `tls.mode: local-ca`",
                );
            }
        }
    }

    let health = &config.health;
    if health.disk_free_warning_percent <= health.disk_free_critical_percent {
        problem(
            "health.disk_free_warning_percent",
            format!(
                "the warning level ({}% free) must be above the critical one ({}% free)",
                health.disk_free_warning_percent, health.disk_free_critical_percent
            ),
            "warn first: say, 15 for WARNING and 5 for CRITICAL",
        );
    }
    if health.backup_warning_age >= health.backup_critical_age {
        problem(
            "health.backup_warning_age",
            format!(
                "the warning age ({}) must be below the critical one ({})",
                health.backup_warning_age, health.backup_critical_age
            ),
            "warn first: say, 26h for WARNING and 74h for CRITICAL",
        );
    }
    out
}

fn check_models(config: &Config, problem: &mut impl FnMut(&str, String, &str)) {
    let llm = &config.llm;
    let mut names: HashMap<&str, String> = HashMap::new();
    for (i, model) in llm.models.iter().enumerate() {
        let base = format!("llm.models[{i}]");
        if model.name.trim().is_empty() {
            problem(&format!("{base}.name"), "every model needs a name".into(), "clients ask for a model by this name");
        }
        if model.path.as_os_str().is_empty() && model.remote.is_none() {
            problem(
                &format!("{base}.path"),
                format!("model `{}` has no GGUF file", model.name),
                "give the file's path (relative to `paths.models_dir`)",
            );
        }
        if let Some(sha) = &model.sha256 {
            if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                problem(
                    &format!("{base}.sha256"),
                    "a sha256 is 64 hexadecimal digits".into(),
                    "get it with `sha256sum FILE`",
                );
            }
        }
        if model.allow_remote && model.remote.is_none() {
            problem(
                &format!("{base}.allow_remote"),
                format!("model `{}` allows a remote upstream but names none", model.name),
                "add `remote: {base_url: ...}` or remove `allow_remote`",
            );
        }
        let own = std::iter::once((format!("{base}.name"), &model.name))
            .chain(model.aliases.iter().enumerate().map(|(j, a)| (format!("{base}.aliases[{j}]"), a)));
        for (key, name) in own {
            if name.is_empty() {
                continue;
            }
            if let Some(first) = names.get(name.as_str()) {
                problem(
                    &key,
                    format!("`{name}` already names another model ({first})"),
                    "model names and aliases must be unique",
                );
            } else {
                names.insert(name, key);
            }
        }
    }
    if let Some(default) = &llm.default_model {
        if !llm.models.is_empty() && !names.contains_key(default.as_str()) {
            let choices: Vec<&str> = names.keys().copied().collect();
            let hint = match crate::validate::closest(default, choices.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("known models: {}", choices.join(", ")),
            };
            problem("llm.default_model", format!("no model is named `{default}`"), &hint);
        }
    }
}

fn check_age_recipient(key: &str, recipient: &str, problem: &mut impl FnMut(&str, String, &str)) {
    let bech32 = |c: char| "qpzry9x8gf2tvdw0s3jn54khce6mua7l".contains(c);
    let ok = recipient.strip_prefix("age1").is_some_and(|rest| rest.len() >= 50 && rest.chars().all(bech32))
        || recipient.starts_with("ssh-ed25519 ")
        || recipient.starts_with("ssh-rsa ");
    if !ok {
        problem(
            key,
            "not an age recipient".into(),
            "give a public key: `age1...` (from `age-keygen -y`) or an `ssh-ed25519` key; never a private key",
        );
    }
}

fn is_ip_or_cidr(text: &str) -> bool {
    match text.split_once('/') {
        None => text.parse::<IpAddr>().is_ok(),
        Some((ip, bits)) => match (ip.parse::<IpAddr>(), bits.parse::<u8>()) {
            (Ok(IpAddr::V4(_)), Ok(b)) => b <= 32,
            (Ok(IpAddr::V6(_)), Ok(b)) => b <= 128,
            _ => false,
        },
    }
}
