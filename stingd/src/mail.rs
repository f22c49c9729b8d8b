//! Outgoing mail (sign-in links), through the SMTP server of `auth.smtp`.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sting_config::{Smtp, SmtpSecurity};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `password` is the value `auth.smtp.password` refers to, read from Vault.
    pub fn from_config(host: &str, smtp: &Smtp, password: Option<sting_vault::Secret>) -> anyhow::Result<Self> {
        let builder = match smtp.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        };
        let from: Mailbox =
            smtp.from.parse().map_err(|e| anyhow::anyhow!("auth.smtp.from `{}` is not an address: {e}", smtp.from))?;
        let mut builder = builder.port(smtp.port).timeout(Some(std::time::Duration::from_secs(20)));
        if let Some(password) = password {
            let user = smtp.username.clone().ok_or_else(|| {
                anyhow::anyhow!("auth.smtp.password is set but auth.smtp.username is not: name the account")
            })?;
            builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                user,
                password.expose().to_string(),
            ));
        }
        Ok(Self { transport: builder.build(), from })
    }

    pub async fn send_enrolment_link(&self, to: &str, link: &str) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject("Your STING account")
            .body(format!(
                "An account on STING is waiting for you. Open this link within 24 hours, once, to register a passkey or an authenticator app:\n\n{link}\n"
            ))?;
        self.transport.send(message).await?;
        Ok(())
    }

    pub async fn send_sign_in_link(&self, to: &str, link: &str, ttl_minutes: u64) -> anyhow::Result<()> {
        let message =
            Message::builder().from(self.from.clone()).to(to.parse()?).subject("Your STING sign-in link").body(
                format!(
                    "Open this link to sign in to STING. It works once, within {ttl_minutes} minutes:\n\n{link}\n\n\
                 If you did not ask for it, ignore this message: nobody can use it without your mailbox.\n"
                ),
            )?;
        self.transport.send(message).await?;
        Ok(())
    }
}
