//! The cells of the auth matrix, shared by the matrix tests (`auth_matrix`,
//! `auth_before_create`): how a role person of the [fixture](crate::fixture) relates to a
//! document, and what the access rules of `docs/access.md` say that person may do with it.
//!
//! Relations of a role person `X` to a document: `own` (X created it, in `acme`), `team` (`mate`
//! created it, in `acme`, whose team X is on), `supervised` (`sub-X`, whom X supervises, created
//! it, in `beta`), `other-account` (`outsider`, supervised by nobody, created it, in `beta`) and
//! `other-org` (`foreigner` created it, in `gamma` of another organisation).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use Expected::{Denied, ReadOnly, ReadWrite};

use crate::client::Client;
use crate::fixture::Agency;
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

/// One connected client per person who creates the matrix's documents, by user id; they stay
/// connected for the whole test.
pub type Creators = BTreeMap<String, Client>;

/// Connects a client (peer `author-<user>`) for every creator of [`EXPECTED`]'s cells.
pub async fn connect_creators(url: &str, agency: &Agency) -> Creators {
    let mut creators = Creators::new();
    for (role, relation, _) in EXPECTED {
        let (creator, _) = relation.creator(role);
        if let Entry::Vacant(slot) = creators.entry(creator) {
            let name = format!("author-{}", slot.key());
            let client = Client::connect_with_bearer(url, &name, agency.token(slot.key()))
                .await
                .expect("creator connects");
            slot.insert(client);
        }
    }
    creators
}

/// One checked (cell, operation).
#[derive(Debug)]
pub struct Row {
    /// The role person.
    pub role: &'static str,
    /// Their relation to the document.
    pub relation: Relation,
    /// The operation.
    pub op: &'static str,
    /// What the rules say.
    pub expected: String,
    /// What happened.
    pub observed: String,
}

impl Row {
    /// Whether what happened is what the rules say.
    pub fn ok(&self) -> bool {
        self.expected == self.observed
    }
}

/// Prints the whole matrix (the captured output a failing test shows) and fails, listing the
/// rows that differ from the rules, if any does.
pub fn assert_rows(title: &str, rows: &[Row]) {
    eprintln!("{title} ({} checks):\n{}", rows.len(), render(rows));
    let failures: Vec<&Row> = rows.iter().filter(|r| !r.ok()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} checks differ from the rules (the whole matrix is printed above):\n{}",
        failures.len(),
        rows.len(),
        render(failures.iter().copied())
    );
}

/// The rows as an aligned table, failures marked.
fn render<'a>(rows: impl IntoIterator<Item = &'a Row>) -> String {
    let mut out = String::new();
    for row in rows {
        let mark = if row.ok() { "ok  " } else { "FAIL" };
        out.push_str(&format!(
            "{mark} {:<6} {:<14} {:<19} expected {:<60} observed {}\n",
            row.role,
            row.relation.name(),
            row.op,
            row.expected,
            row.observed
        ));
    }
    out
}
