//! How a backup is protected and opened, from what the operator gave: recipients (flags, a
//! file, then `backup.recipients`), a passphrase (a file, or asked twice on a terminal), or
//! plain only when asked for; and the identity or passphrase that opens one.

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use anyhow::Context;

use super::archive::{Protection, Unlock};
use crate::output::Output;

/// A passphrase typed at the prompt is at least this long.
pub const MIN_PASSPHRASE: usize = 12;

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub encrypt: bool,
    pub no_encrypt: bool,
    /// `age1...` or SSH public keys.
    pub recipients: Vec<String>,
    pub recipients_file: Option<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
}

/// The protection to write with. `--no-encrypt` wins, then `--encrypt` or `backup.encrypt`;
/// a passphrase file wins over recipients; recipients given on the command line (flags and
/// file together) replace the config's.
pub fn choose(out: &Output, config: &sting_config::Config, asked: &Asked) -> anyhow::Result<Protection> {
    let encrypt = !asked.no_encrypt && (asked.encrypt || config.backup.encrypt);
    if !encrypt {
        return Ok(Protection::Plain);
    }
    if let Some(file) = &asked.passphrase_file {
        return Ok(Protection::Passphrase(read_passphrase(file)?));
    }
    let mut texts: Vec<String> = asked.recipients.clone();
    if let Some(file) = &asked.recipients_file {
        let listed = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the recipients file {}", file.display()))?;
        texts.extend(listed.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from));
    }
    if texts.is_empty() {
        texts = config.backup.recipients.clone();
    }
    if !texts.is_empty() {
        let recipients = texts.iter().map(|t| crate::shares::parse_recipient(t)).collect::<anyhow::Result<Vec<_>>>()?;
        return Ok(Protection::Recipients(recipients));
    }
    if out.interactive() {
        let passphrase = dialoguer::Password::new()
            .with_prompt("Passphrase for this backup")
            .with_confirmation("Again", "the two differ")
            .interact()?;
        anyhow::ensure!(
            passphrase.chars().count() >= MIN_PASSPHRASE,
            "a passphrase of {MIN_PASSPHRASE} characters at least"
        );
        return Ok(Protection::Passphrase(SecretString::from(passphrase)));
    }
    anyhow::bail!(
        "an encrypted backup needs recipients (backup.recipients in the config, --recipient, --recipients-file) or --passphrase-file; --no-encrypt writes a plain one"
    )
}

/// What opens an encrypted backup: an age identity file (or SSH private key), else a
/// passphrase file, else nothing (a plain backup needs none).
pub fn unlock(identity: Option<&Path>, passphrase_file: Option<&Path>) -> anyhow::Result<Unlock> {
    if let Some(file) = identity {
        let identities = age::IdentityFile::from_file(file.display().to_string())
            .with_context(|| format!("cannot read the identity file {}", file.display()))?
            .into_identities()
            .map_err(|e| anyhow::anyhow!("{} holds no usable age identity: {e}", file.display()))?;
        return Ok(Unlock::Identities(identities));
    }
    if let Some(file) = passphrase_file {
        return Ok(Unlock::Passphrase(read_passphrase(file)?));
    }
    Ok(Unlock::Nothing)
}

/// The first line of `file`, which must not be empty.
fn read_passphrase(file: &Path) -> anyhow::Result<SecretString> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(file).with_context(|| format!("cannot read the passphrase file {}", file.display()))?,
    );
    let line = text.lines().next().unwrap_or("").to_string();
    anyhow::ensure!(
        !line.is_empty(),
        "the passphrase file {} is empty: its first line is the passphrase",
        file.display()
    );
    Ok(SecretString::from(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn config(encrypt: bool, recipients: &[&str]) -> sting_config::Config {
        let mut config = sting_config::Config::default();
        config.backup.encrypt = encrypt;
        config.backup.recipients = recipients.iter().map(|r| r.to_string()).collect();
        config
    }

    fn kind(protection: &Protection) -> &'static str {
        match protection {
            Protection::Plain => "plain",
            Protection::Passphrase(_) => "passphrase",
            Protection::Recipients(_) => "recipients",
        }
    }

    #[test]
    fn no_encrypt_wins_then_a_passphrase_file_then_recipients() {
        let out = Output::new(&Default::default());
        let dir = tempfile::tempdir().unwrap();
        let passphrase = dir.path().join("pass");
        std::fs::write(&passphrase, "correct horse battery staple\n").unwrap();
        let with_recipients = config(true, &[RECIPIENT]);
        let plain = Asked { no_encrypt: true, passphrase_file: Some(passphrase.clone()), ..Default::default() };
        assert_eq!(kind(&choose(&out, &with_recipients, &plain).unwrap()), "plain");
        let file = Asked { passphrase_file: Some(passphrase), ..Default::default() };
        assert_eq!(kind(&choose(&out, &with_recipients, &file).unwrap()), "passphrase");
        assert_eq!(kind(&choose(&out, &with_recipients, &Asked::default()).unwrap()), "recipients");
        // Encryption off in the config: a plain backup unless --encrypt.
        assert_eq!(kind(&choose(&out, &config(false, &[RECIPIENT]), &Asked::default()).unwrap()), "plain");
        let encrypt = Asked { encrypt: true, ..Default::default() };
        assert_eq!(kind(&choose(&out, &config(false, &[RECIPIENT]), &encrypt).unwrap()), "recipients");
    }

    #[test]
    fn without_recipients_or_a_terminal_it_says_what_to_give() {
        let out = Output::new(&Default::default());
        let error = choose(&out, &config(true, &[]), &Asked::default()).err().unwrap().to_string();
        assert!(error.contains("--recipient") && error.contains("--no-encrypt"), "{error}");
        let bad = Asked { recipients: vec!["age1nope".into()], ..Default::default() };
        assert!(choose(&out, &config(true, &[]), &bad).is_err());
    }

    #[test]
    fn an_empty_passphrase_file_and_a_missing_identity_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let error = unlock(None, Some(&empty)).err().unwrap().to_string();
        assert!(error.contains("is empty") && error.contains("empty"), "{error}");
        let missing = dir.path().join("nowhere.key");
        let error = unlock(Some(&missing), None).err().unwrap().to_string();
        assert!(error.contains("cannot read the identity file") && error.contains("nowhere.key"), "{error}");
        assert!(matches!(unlock(None, None).unwrap(), Unlock::Nothing));
    }
}
