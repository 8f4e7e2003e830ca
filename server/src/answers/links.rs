//! Signed answer links: how a client, who has no account, accepts or disputes a contact report.
//!
//! A link names one report of one document for one recipient and carries its expiry; it is
//! signed with a key derived from the directory's secret (HMAC-SHA256), so nobody can make one
//! for another report, change what it names, or stretch its life. The token is
//! `base64url(payload) "." base64url(mac)`; the payload is the four fields separated by
//! newlines (none of them can hold one).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use enlace_core::ids::DocumentId;
use ring::hmac;

/// What the key is derived for, so it signs nothing else.
const CONTEXT: &[u8] = b"enlace contact report answer links v1";

/// Longest token accepted (a real one is about 200 bytes).
const MAX_TOKEN_BYTES: usize = 1024;

/// How long a link stays valid by default.
pub const DEFAULT_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

/// The key answer links are signed with.
pub struct AnswerKey(hmac::Key);

impl std::fmt::Debug for AnswerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerKey(..)")
    }
}

/// What a valid link says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerClaim {
    /// The meeting note.
    pub doc: DocumentId,
    /// The report's number.
    pub report_no: String,
    /// The distribution key of the recipient it was sent to.
    pub recipient: String,
    /// Milliseconds since the Unix epoch after which it is refused.
    pub expires_ms: i64,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a token this server makes.
    #[error("not a valid answer link")]
    Malformed,
    /// Made or changed by someone without the key.
    #[error("not a valid answer link")]
    Forged,
    /// Valid, but past its life.
    #[error("this answer link has expired")]
    Expired,
}

impl AnswerKey {
    /// The answer key derived from the directory's secret key.
    pub fn derive(parent: &hmac::Key) -> Self {
        let derived = hmac::sign(parent, CONTEXT);
        AnswerKey(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()))
    }

    /// The token of a link for `claim`. `None` if a field could not be carried (a newline in
    /// the report number or recipient key, which the model does not allow).
    pub fn sign(&self, claim: &AnswerClaim) -> Option<String> {
        if claim.report_no.contains('\n') || claim.recipient.contains('\n') {
            return None;
        }
        let payload = format!(
            "{}\n{}\n{}\n{}",
            claim.doc, claim.report_no, claim.recipient, claim.expires_ms
        );
        let tag = hmac::sign(&self.0, payload.as_bytes());
        Some(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// What `token` says, if this server signed it and it has not expired at `now_ms`.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<AnswerClaim, LinkError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(LinkError::Malformed);
        }
        let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| LinkError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Malformed)?;
        hmac::verify(&self.0, &payload, &tag).map_err(|_| LinkError::Forged)?;
        // Signed by us: the fields are as we wrote them.
        let payload = String::from_utf8(payload).map_err(|_| LinkError::Malformed)?;
        let mut fields = payload.split('\n');
        let (Some(doc), Some(report_no), Some(recipient), Some(expires), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(LinkError::Malformed);
        };
        let claim = AnswerClaim {
            doc: doc.parse().map_err(|_| LinkError::Malformed)?,
            report_no: report_no.to_owned(),
            recipient: recipient.to_owned(),
            expires_ms: expires.parse().map_err(|_| LinkError::Malformed)?,
        };
        if now_ms > claim.expires_ms {
            return Err(LinkError::Expired);
        }
        Ok(claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &[u8]) -> AnswerKey {
        AnswerKey::derive(&hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn claim() -> AnswerClaim {
        AnswerClaim {
            doc: DocumentId::new_random(),
            report_no: "ACME-2026-0007".into(),
            recipient: "r1".into(),
            expires_ms: 2_000,
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let key = key(b"secret");
        let token = key.sign(&claim()).expect("token");
        assert_eq!(
            key.verify(&token, 1_999).expect("valid").report_no,
            "ACME-2026-0007"
        );
        assert_eq!(key.verify(&token, 2_000).expect("valid").recipient, "r1");
        assert_eq!(key.verify(&token, 2_001), Err(LinkError::Expired));
    }

    #[test]
    fn a_tampered_or_foreign_link_is_refused() {
        let ours = key(b"secret");
        let token = ours.sign(&claim()).expect("token");
        // Another server's key.
        assert_eq!(key(b"other").verify(&token, 0), Err(LinkError::Forged));
        // Another report number with the old signature.
        let (_, tag) = token.split_once('.').expect("dot");
        let mut stretched = claim();
        stretched.expires_ms = i64::MAX;
        let forged_payload = ours
            .sign(&stretched)
            .and_then(|t| t.split_once('.').map(|(p, _)| p.to_owned()))
            .expect("payload");
        assert_eq!(
            ours.verify(&format!("{forged_payload}.{tag}"), 0),
            Err(LinkError::Forged)
        );
        // Garbage.
        for bad in ["", ".", "abc", "a.b", &"x".repeat(MAX_TOKEN_BYTES + 1)] {
            assert!(ours.verify(bad, 0).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_that_cannot_be_carried_make_no_link() {
        let mut bad = claim();
        bad.recipient = "r\n1".into();
        assert!(key(b"secret").sign(&bad).is_none());
    }
}
