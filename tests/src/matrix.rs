//! The cells of the auth matrix, shared by the matrix tests (`auth_matrix`,
//! `auth_before_create`): how a role person of the [fixture](crate::fixture) relates to a
//! document, and what the access rules of `docs/access.md` say that person may do with it.
//!
//! Relations of a role person `X` to a document: `own` (X created it, in `acme`), `team` (`mate`
//! created it, in `acme`, whose team X is on), `supervised` (`sub-X`, whom X supervises, created
//! it, in `beta`), `other-account` (`outsider`, supervised by nobody, created it, in `beta`) and
//! `other-org` (`foreigner` created it, in `gamma` of another organisation).

use Expected::{Denied, ReadOnly, ReadWrite};
use Relation::{OtherAccount, OtherOrg, Own, Supervised, Team};

/// How a role person is related to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// X created it, in `acme`.
    Own,
    /// `mate` created it, in `acme`, whose team X is on.
    Team,
    /// `sub-X`, whom X supervises, created it, in `beta`.
    Supervised,
    /// `outsider`, supervised by nobody, created it, in `beta`.
    OtherAccount,
    /// `foreigner` created it, in `gamma` of another organisation.
    OtherOrg,
}

impl Relation {
    /// Its name in the printed matrix.
    pub fn name(self) -> &'static str {
        match self {
            Own => "own",
            Team => "team",
            Supervised => "supervised",
            OtherAccount => "other-account",
            OtherOrg => "other-org",
        }
    }

    /// Who creates the document of this relation for `role`, and in which account.
    pub fn creator(self, role: &str) -> (String, &'static str) {
        match self {
            Own => (role.to_owned(), "acme"),
            Team => ("mate".to_owned(), "acme"),
            Supervised => (format!("sub-{role}"), "beta"),
            OtherAccount => ("outsider".to_owned(), "beta"),
            OtherOrg => ("foreigner".to_owned(), "gamma"),
        }
    }
}

/// What a role person may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Reads and writes it.
    ReadWrite,
    /// Reads it; its changes are applied nowhere.
    ReadOnly,
    /// Nothing: it looks exactly like a missing document.
    Denied,
}

impl Expected {
    /// Whether the person may receive the document.
    pub fn readable(self) -> bool {
        self != Denied
    }
}

/// The expected access of every cell, written out by hand from the rules (team member, creator
/// and transitive supervisor read and write; management and admin read every document of their
/// organisation; nobody sees another organisation), not computed like the server computes it.
pub const EXPECTED: [(&str, Relation, Expected); 30] = [
    ("jr", Own, ReadWrite),
    ("jr", Team, ReadWrite),
    ("jr", Supervised, ReadWrite),
    ("jr", OtherAccount, Denied),
    ("jr", OtherOrg, Denied),
    ("ae", Own, ReadWrite),
    ("ae", Team, ReadWrite),
    ("ae", Supervised, ReadWrite),
    ("ae", OtherAccount, Denied),
    ("ae", OtherOrg, Denied),
    ("sup", Own, ReadWrite),
    ("sup", Team, ReadWrite),
    ("sup", Supervised, ReadWrite),
    ("sup", OtherAccount, Denied),
    ("sup", OtherOrg, Denied),
    ("dir", Own, ReadWrite),
    ("dir", Team, ReadWrite),
    ("dir", Supervised, ReadWrite),
    ("dir", OtherAccount, Denied),
    ("dir", OtherOrg, Denied),
    ("mgmt", Own, ReadWrite),
    ("mgmt", Team, ReadWrite),
    ("mgmt", Supervised, ReadWrite),
    ("mgmt", OtherAccount, ReadOnly),
    ("mgmt", OtherOrg, Denied),
    ("admin", Own, ReadWrite),
    ("admin", Team, ReadWrite),
    ("admin", Supervised, ReadWrite),
    ("admin", OtherAccount, ReadOnly),
    ("admin", OtherOrg, Denied),
];
