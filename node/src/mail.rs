//! E-mail: invitations and password-reset links, sent through SMTP (`--smtp-url`,
//! `ETAL_SMTP_URL`) or, without it, written to the log (and shown to the admin who asked).

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends mail, or says where it would have gone.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("smtp", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Handed to the SMTP server.
    Mailed,
    /// No SMTP server is set: the message was written to the log.
    Logged,
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://[user:pass@]host[:port]`, `smtps://…`, or
    /// `smtp://…?tls=required` for STARTTLS), sending as `from`.
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail sender {from:?} is not an address: {e}"))?;
        let transport = match smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP URL {url:?} is not usable: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
        };
        Ok(Mailer { transport, from })
    }

    /// Whether mail really leaves the node.
    pub fn can_mail(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<Sent> {
        let Some(transport) = &self.transport else {
            tracing::info!(
                to,
                subject,
                "no SMTP server set (--smtp-url): the message follows\n{body}"
            );
            return Ok(Sent::Logged);
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to
                .parse()
                .map_err(|e| anyhow::anyhow!("{to:?} is not an address: {e}"))?)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_string())?;
        transport.send(message).await?;
        Ok(Sent::Mailed)
    }
}
