//! The directory's vocabulary: ids as newtypes, the keys that scope them to an organisation, and
//! the roles.
//!
//! Ids are ASCII and case-insensitive: they are lowercased when parsed, so `ACME` and `acme` are
//! one id everywhere (the directory, the API, a document's `account_id`), and a lookalike
//! cannot be made by changing case.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Longest id accepted for an organisation, user, account or token.
pub const MAX_ID_LEN: usize = 128;

/// Why an id or a role word was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Empty, too long, or with characters outside `[A-Za-z0-9._@-]`.
    #[error("invalid {what}: use 1 to {MAX_ID_LEN} letters, digits, '.', '_', '@' or '-'")]
    Id {
        /// Which kind of id.
        what: &'static str,
    },
    /// Not one of the role words.
    #[error(
        "unknown role {0:?}: use junior_executive, account_executive, account_supervisor, \
         account_director, management or admin"
    )]
    Role(String),
    /// A qualified key is not `<organisation>/<id>`.
    #[error("invalid {what}: expected <organisation>/<id>")]
    Key {
        /// Which kind of key.
        what: &'static str,
    },
}

fn check_id(s: &str, what: &'static str) -> Result<(), ParseError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ParseError::Id { what })
    }
}

macro_rules! directory_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id (a UUIDv4).
            pub fn new_random() -> Self {
                Self(uuid::Uuid::new_v4().hyphenated().to_string())
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

        impl FromStr for $name {
            type Err = ParseError;

            /// Lowercases: ids are case-insensitive.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                check_id(s, $what)?;
                Ok(Self(s.to_ascii_lowercase()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

directory_id!(
    /// An organisation (an agency). Nothing crosses organisations.
    OrgId,
    "organisation id"
);
directory_id!(
    /// A person who signs in.
    UserId,
    "user id"
);
directory_id!(
    /// A client account. Documents name it in their root `account_id`.
    AccountId,
    "account id"
);
directory_id!(
    /// A bearer token's public id (for revoking it); never the secret.
    TokenId,
    "token id"
);

/// An id of something that lives inside an organisation (a person, an account): ids are chosen
/// per organisation, so only the pair names one thing. Written `<organisation>/<id>` where a
/// single string is needed (`/` is not an id character), as in the document registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scoped<T> {
    /// The organisation.
    pub org: OrgId,
    /// The id within it.
    pub id: T,
}

/// A person: their organisation and their id in it.
pub type UserKey = Scoped<UserId>;
/// An account: its organisation and its id in it.
pub type AccountKey = Scoped<AccountId>;

impl<T> Scoped<T> {
    /// `id` of `org`.
    pub fn new(org: OrgId, id: T) -> Self {
        Scoped { org, id }
    }
}

impl<T: fmt::Display> fmt::Display for Scoped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.org, self.id)
    }
}

impl<T: FromStr<Err = ParseError>> FromStr for Scoped<T> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (org, id) = s.split_once('/').ok_or(ParseError::Key {
            what: "qualified id",
        })?;
        Ok(Scoped {
            org: org.parse()?,
            id: id.parse()?,
        })
    }
}

/// A person's role, lowest to highest. Team membership and supervision decide most access; the
/// role itself matters for `management` and `admin`, who read the whole organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A junior account executive.
    JuniorExecutive,
    /// An account executive.
    AccountExecutive,
    /// An account supervisor.
    AccountSupervisor,
    /// An account director.
    AccountDirector,
    /// Management (VP of client services): reads every account of the organisation.
    Management,
    /// Administers the organisation's directory; reads every account of it.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 6] = [
        Role::JuniorExecutive,
        Role::AccountExecutive,
        Role::AccountSupervisor,
        Role::AccountDirector,
        Role::Management,
        Role::Admin,
    ];

    /// The role word used on the command line, in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::JuniorExecutive => "junior_executive",
            Role::AccountExecutive => "account_executive",
            Role::AccountSupervisor => "account_supervisor",
            Role::AccountDirector => "account_director",
            Role::Management => "management",
            Role::Admin => "admin",
        }
    }

    /// Whether this role reads every document of its organisation.
    pub fn reads_whole_organisation(self) -> bool {
        matches!(self, Role::Management | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError::Role(s.chars().take(64).collect()))
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn ids_are_bounded() {
        assert!("acc-1".parse::<AccountId>().is_ok());
        assert!("".parse::<AccountId>().is_err());
        assert!("a b".parse::<UserId>().is_err());
        assert!("x".repeat(MAX_ID_LEN + 1).parse::<OrgId>().is_err());
    }

    #[test]
    fn ids_are_case_insensitive() {
        assert_eq!(
            "ACME".parse::<AccountId>(),
            "acme".parse::<AccountId>(),
            "one account"
        );
        assert_eq!(
            "Julia".parse::<UserId>().map(|u| u.to_string()),
            Ok("julia".into())
        );
    }

    #[test]
    fn keys_round_trip_and_need_both_halves() {
        let key: AccountKey = "Andes/ACME".parse().expect("key");
        assert_eq!(key.to_string(), "andes/acme");
        assert_eq!(key.to_string().parse::<AccountKey>(), Ok(key));
        assert!("acme".parse::<AccountKey>().is_err());
        assert!("andes/".parse::<AccountKey>().is_err());
        assert!("a/b/c".parse::<AccountKey>().is_err());
    }
}
