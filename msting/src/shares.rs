//! Key shares: handed to their holders once, at initialisation or rekeying (on the terminal, or
//! age-encrypted to one recipient per holder), and taken back from holders to unseal. A share
//! is never written to a file by msting, never logged, never in an error.

use std::io::{BufRead, Write};
use std::str::FromStr;

use anyhow::{Context, bail};
use serde::Serialize;
use sting_vault::{Secret, Vault};

use crate::output::Output;

/// Where the shares go.
pub enum Handout {
    /// Shown in the clear: only when stdout is a terminal.
    Terminal,
    /// Share `i` encrypted to recipient `i`.
    Encrypted(Vec<(String, Box<dyn age::Recipient + Send>)>),
}

/// Decides where shares go, before anything is initialised, so a refusal changes nothing.
pub fn plan_handout(recipients: &[String], shares: u32, stdout_is_terminal: bool) -> anyhow::Result<Handout> {
    if recipients.is_empty() {
        if !stdout_is_terminal {
            bail!(
                "key shares are shown only on a terminal, and stdout is not one: run this on a terminal, or set `vault.share_recipients` to one age recipient per holder"
            );
        }
        return Ok(Handout::Terminal);
    }
    if recipients.len() != shares as usize {
        bail!(
            "`vault.share_recipients` names {} recipients for {shares} shares: give one recipient per share holder",
            recipients.len()
        );
    }
    let parsed = recipients.iter().map(|r| Ok((r.clone(), parse_recipient(r)?))).collect::<anyhow::Result<_>>()?;
    Ok(Handout::Encrypted(parsed))
}

/// An age recipient: `age1...`, or an `ssh-ed25519`/`ssh-rsa` public key.
pub fn parse_recipient(text: &str) -> anyhow::Result<Box<dyn age::Recipient + Send>> {
    if text.starts_with("ssh-") {
        return age::ssh::Recipient::from_str(text)
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|_| anyhow::anyhow!("`{text}` is not an ssh public key age can encrypt to"));
    }
    age::x25519::Recipient::from_str(text)
        .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
        .map_err(|e| anyhow::anyhow!("`{text}` is not an age recipient: {e}"))
}

/// One share as handed out.
#[derive(Serialize)]
pub struct HandedShare {
    pub number: usize,
    /// The age recipient it is encrypted to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The share (on a terminal) or its ASCII-armoured age encryption.
    pub share: String,
}

pub fn hand_out(handout: &Handout, shares: &[Secret]) -> anyhow::Result<Vec<HandedShare>> {
    shares
        .iter()
        .enumerate()
        .map(|(i, share)| {
            Ok(match handout {
                Handout::Terminal => HandedShare { number: i + 1, recipient: None, share: share.expose().to_string() },
                Handout::Encrypted(recipients) => {
                    let (name, recipient) = &recipients[i];
                    HandedShare {
                        number: i + 1,
                        recipient: Some(name.clone()),
                        share: encrypt(share, recipient.as_ref())?,
                    }
                }
            })
        })
        .collect()
}

fn encrypt(share: &Secret, recipient: &(dyn age::Recipient + Send)) -> anyhow::Result<String> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .context("cannot set up age encryption")?;
    let mut armored = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    writer.write_all(share.expose().as_bytes())?;
    writer.finish()?.finish()?;
    Ok(String::from_utf8(armored)?)
}

/// Where an operator's shares come from: a file, a hidden prompt on a terminal, or stdin.
pub struct ShareInput {
    queued: Vec<Secret>,
    prompt: bool,
}

impl ShareInput {
    pub fn new(key_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        use std::io::IsTerminal;
        let prompt = key_file.is_none() && std::io::stdin().is_terminal();
        let shares = match key_file {
            Some(file) => {
                let reader = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
                read_shares(std::io::BufReader::new(reader))?
            }
            None if prompt => Vec::new(),
            None => read_shares(std::io::stdin().lock())?,
        };
        Ok(Self { queued: shares.into_iter().rev().collect(), prompt })
    }

    /// The next share; `None` when a file or stdin has no more.
    pub fn next(&mut self, what: &str, given: u32, needed: u32) -> anyhow::Result<Option<Secret>> {
        if let Some(share) = self.queued.pop() {
            return Ok(Some(share));
        }
        if !self.prompt {
            return Ok(None);
        }
        let typed = dialoguer::Password::new().with_prompt(format!("{what} ({given} of {needed} given)")).interact()?;
        Ok(Some(Secret::new(typed)))
    }
}

/// Shares from a reader, one per line; blank lines and `#` comments are skipped.
pub fn read_shares(reader: impl BufRead) -> anyhow::Result<Vec<Secret>> {
    let mut shares = Vec::new();
    for line in reader.lines() {
        let line = Secret::new(line.context("cannot read the shares")?);
        let text = line.expose().trim();
        if !text.is_empty() && !text.starts_with('#') {
            shares.push(Secret::new(text));
        }
    }
    Ok(shares)
}

/// Asks for shares (prompt, stdin or `key_file`) until Vault is unsealed; waits until it is
/// active.
pub async fn unseal(
    out: &Output,
    vault: &Vault,
    mut status: sting_vault::seal::SealStatus,
    key_file: Option<&std::path::Path>,
) -> anyhow::Result<sting_vault::seal::SealStatus> {
    let mut input = ShareInput::new(key_file)?;
    if status.progress > 0 {
        out.note(format!("{} of {} shares were already given", status.progress, status.threshold));
    }
    while status.sealed {
        let Some(share) = input.next("Unseal share", status.progress, status.threshold)? else {
            anyhow::bail!(
                "{} of {} shares given; Vault is still sealed: give {} more",
                status.progress,
                status.threshold,
                status.threshold - status.progress
            );
        };
        status = sting_vault::seal::unseal(vault, &share).await?;
        if status.sealed {
            out.note(format!("share accepted: {} of {}", status.progress, status.threshold));
        }
    }
    sting_vault::bootstrap::wait_until_unsealed(vault, std::time::Duration::from_secs(30)).await?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_in_the_clear_need_a_terminal_and_recipients_must_match_the_holders() {
        assert!(matches!(plan_handout(&[], 5, true).unwrap(), Handout::Terminal));
        let refused = plan_handout(&[], 5, false).err().unwrap().to_string();
        assert!(refused.contains("only on a terminal"), "{refused}");
        let one = age::x25519::Identity::generate().to_public().to_string();
        let short = plan_handout(std::slice::from_ref(&one), 2, false).err().unwrap().to_string();
        assert!(short.contains("1 recipients for 2 shares"), "{short}");
        let bad = plan_handout(&["age1nope".into()], 1, false).err().unwrap().to_string();
        assert!(bad.contains("not an age recipient"), "{bad}");
    }

    #[test]
    fn each_share_opens_only_with_its_holder_s_identity() {
        let (alice, bob) = (age::x25519::Identity::generate(), age::x25519::Identity::generate());
        let recipients = vec![alice.to_public().to_string(), bob.to_public().to_string()];
        let handout = plan_handout(&recipients, 2, false).unwrap();
        let handed = hand_out(&handout, &[Secret::new("share-one"), Secret::new("share-two")]).unwrap();
        assert!(handed.iter().all(|h| h.share.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")));
        assert!(!handed[0].share.contains("share-one"));
        let open = |text: &str, identity: &age::x25519::Identity| -> Option<String> {
            let reader = age::armor::ArmoredReader::new(text.as_bytes());
            let decryptor = age::Decryptor::new(reader).ok()?;
            let mut out = String::new();
            std::io::Read::read_to_string(
                &mut decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).ok()?,
                &mut out,
            )
            .ok()?;
            Some(out)
        };
        assert_eq!(open(&handed[0].share, &alice).as_deref(), Some("share-one"));
        assert_eq!(open(&handed[1].share, &bob).as_deref(), Some("share-two"));
        assert_eq!(open(&handed[0].share, &bob), None, "bob cannot open alice's share");
    }

    #[test]
    fn shares_are_read_one_per_line() {
        let text = "# holder 1\n  abc=  \n\ndef\n";
        let shares = read_shares(text.as_bytes()).unwrap();
        assert_eq!(shares.iter().map(|s| s.expose()).collect::<Vec<_>>(), ["abc=", "def"]);
    }
}
