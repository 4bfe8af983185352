//! Where emails go: SMTP when `smtp_url` is set, otherwise `.eml` files in the data dir.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;
use crate::db::outbox::Claimed;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes each message as `<dir>/<id>-<kind>.eml`.
    File(PathBuf),
}

impl Transport {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Transport> {
        let url = s.smtp_url.expose();
        if url.is_empty() {
            let dir = s.outbox_dir();
            std::fs::create_dir_all(&dir)?;
            Ok(Transport::File(dir))
        } else {
            let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| anyhow::anyhow!("invalid YICHUANG_SMTP_URL: {e}"))?
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build();
            Ok(Transport::Smtp(t))
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".to_string(),
            Transport::File(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends one message; the error text is kept on the outbox row.
    pub async fn send(&self, from: &str, m: &Claimed) -> Result<(), String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("bad sender address: {e}"))?;
        let to: Mailbox = Mailbox::new(
            Some(m.to_name.clone()),
            m.to_email
                .parse()
                .map_err(|e| format!("bad recipient address: {e}"))?,
        );
        let message_id = message_id(m.id, &from);
        let message = Message::builder()
            .message_id(Some(message_id))
            .from(from)
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body_text.clone())
            .map_err(|e| format!("cannot build message: {e}"))?;
        match self {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(dir) => {
                let path = dir.join(format!("{:08}-{}.eml", m.id, m.kind));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

/// A globally unique `Message-ID` (RFC 5322 §3.6.4) in the sender's domain: the outbox row
/// and a random part, so that ids stay unique across databases (a demo reset, a restore).
fn message_id(outbox_id: i64, from: &Mailbox) -> String {
    let nonce: u64 = rand::random();
    format!("<{outbox_id}.{nonce:016x}@{}>", from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique_and_in_the_senders_domain() {
        let from: Mailbox = "益创 <noreply@gusu.example>".parse().unwrap();
        let a = message_id(7, &from);
        let b = message_id(7, &from);
        assert_ne!(a, b);
        assert!(a.starts_with("<7.") && a.ends_with("@gusu.example>"), "{a}");
    }
}
