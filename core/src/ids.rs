//! Identifier newtypes shared by the model, the store and the wire.
//!
//! automerge-repo names a document by the bs58check encoding of the 16 raw bytes of a UUID
//! (`automerge:tLNwR8HPtc32hk1Bvh1E8UHsd5X`); older clients used the hyphenated UUID itself, so
//! both parse. Peers and storages are named by free strings on the wire; they are bounded here so
//! a hostile peer cannot hand us a megabyte-long name.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Longest peer id or storage id accepted from the wire or from a caller.
pub const MAX_NAME_LEN: usize = 256;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Neither bs58check of 16 bytes nor a hyphenated UUID.
    #[error("not a document id: {0:?}")]
    Document(String),
    /// Not a UUID.
    #[error("not a UUID: {0:?}")]
    Uuid(String),
    /// Empty, too long, or containing control characters.
    #[error("invalid {what}: must be 1..={MAX_NAME_LEN} printable characters")]
    Name {
        /// Which kind of name was rejected.
        what: &'static str,
    },
}

/// A document's id: 16 random bytes, shown as bs58check.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

impl DocumentId {
    /// A fresh random id (UUIDv4), made on the device so documents can be created offline.
    pub fn new_random() -> Self {
        Self(*Uuid::new_v4().as_bytes())
    }

    /// The id from its raw bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The same bytes as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        Uuid::from_bytes(self.0)
    }

    /// The `automerge:` URL that automerge-repo clients use.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl From<Uuid> for DocumentId {
    fn from(u: Uuid) -> Self {
        Self(*u.as_bytes())
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.strip_prefix("automerge:").unwrap_or(s);
        // bs58check of 16 bytes is 27 or 28 characters; anything far longer is not worth decoding.
        if s.len() <= 40
            && let Ok(bytes) = bs58::decode(s).with_check(None).into_vec()
            && let Ok(raw) = <[u8; 16]>::try_from(bytes.as_slice())
        {
            return Ok(Self(raw));
        }
        if s.len() == 36
            && s.as_bytes().get(8) == Some(&b'-')
            && let Ok(u) = Uuid::parse_str(s)
        {
            return Ok(Self::from(u));
        }
        Err(IdError::Document(truncate(s)))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

fn check_name(s: &str, what: &'static str) -> Result<(), IdError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN || s.chars().any(char::is_control) {
        return Err(IdError::Name { what });
    }
    Ok(())
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// An id from a literal the caller knows is valid (non-empty, short, printable);
            /// for fixed names in code, never for input.
            pub fn from_static_unchecked(s: &'static str) -> Self {
                debug_assert!(check_name(s, $what).is_ok());
                Self(s.to_owned())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                check_name(s, $what)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                check_name(&s, $what)?;
                Ok(Self(s))
            }
        }
    };
}

name_id!(
    /// A peer's self-chosen name on the wire (`senderId`). Stock clients pick random ones, so it
    /// identifies a connection, never a person.
    PeerId,
    "peer id"
);

name_id!(
    /// The id of a peer's persistent storage (a UUIDv4 string made once per store and kept). Sync
    /// states are persisted per (document, storage id) so a returning peer resumes cheaply.
    StorageId,
    "storage id"
);

impl StorageId {
    /// A fresh random storage id.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4().hyphenated().to_string())
    }
}

/// The id of an entity inside a document (a storecheck line, an attendee, a photo) or of a person
/// or account it references. Made on the device, usually a UUID string; any bounded printable
/// string is accepted so references to server ids and product codes (`product@location`) fit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(String);

impl EntityId {
    /// A fresh UUIDv7 (time-ordered, so new lines sort after old ones in a plain listing).
    pub fn new_random() -> Self {
        Self(Uuid::now_v7().hyphenated().to_string())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntityId({:?})", self.0)
    }
}

impl FromStr for EntityId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_name(s, "entity id")?;
        Ok(Self(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_id_round_trips_the_transcript_id() {
        let id: DocumentId = "tLNwR8HPtc32hk1Bvh1E8UHsd5X".parse().expect("valid id");
        assert_eq!(id.to_string(), "tLNwR8HPtc32hk1Bvh1E8UHsd5X");
        let other: DocumentId = "2APp62HLhx67PjH7Xzc5Qu6iPa6x".parse().expect("valid id");
        assert_eq!(other.to_string(), "2APp62HLhx67PjH7Xzc5Qu6iPa6x");
    }

    #[test]
    fn document_id_accepts_legacy_uuid_and_url() {
        let id = DocumentId::new_random();
        let legacy: DocumentId = id.as_uuid().hyphenated().to_string().parse().expect("uuid");
        assert_eq!(legacy, id);
        let from_url: DocumentId = id.url().parse().expect("url");
        assert_eq!(from_url, id);
    }

    #[test]
    fn document_id_rejects_garbage() {
        for bad in [
            "",
            "x",
            "tLNwR8HPtc32hk1Bvh1E8UHsd5Y",
            "not-a-uuid-at-all-xxxxxxxxxxxxxxxxxx",
            &"1".repeat(500),
        ] {
            assert!(bad.parse::<DocumentId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!("".parse::<PeerId>().is_err());
        assert!("a\nb".parse::<PeerId>().is_err());
        assert!("x".repeat(MAX_NAME_LEN + 1).parse::<StorageId>().is_err());
        assert_eq!("phone-A".parse::<PeerId>().expect("ok").as_str(), "phone-A");
    }
}
