//! An immutable in-memory copy of the directory, and the access rules over it.
//!
//! The sync engine asks "may this connection read this document?" for every message, on its own
//! thread, without IO; it asks a [`Snapshot`]. A change to the directory makes a new snapshot
//! (they are small: people, accounts, teams, edges, tokens) rather than patching this one.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use enlace_core::sync::Access;
use ring::hmac;
use rusqlite::Connection;

use super::{AccountId, DirectoryError, OrgId, Role, TokenId, UserId};
use crate::auth::secret::{MAX_CREDENTIAL_LEN, hash_token};

/// One person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRecord {
    /// Their id.
    pub id: UserId,
    /// Their organisation.
    pub org: OrgId,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
}

#[derive(Debug, Clone)]
struct AccountRecord {
    org: OrgId,
    name: String,
}

/// One token, without its secret.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Whose.
    pub user: UserId,
    /// Expiry, milliseconds since the Unix epoch.
    pub expires_ms: i64,
    /// Revoked tokens stay listed so their tickets can be told apart from garbage in logs.
    pub revoked: bool,
}

/// Who a connection or request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The person.
    pub user: UserId,
    /// The token they presented (directly or through a ticket).
    pub token: TokenId,
}

/// An account as a person sees it in the API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountView {
    /// Its id.
    pub id: AccountId,
    /// Its name.
    pub name: String,
    /// What they may do with its documents.
    pub access: &'static str,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct Snapshot {
    users: HashMap<UserId, UserRecord>,
    accounts: HashMap<AccountId, AccountRecord>,
    teams: HashMap<AccountId, BTreeMap<UserId, Role>>,
    member_of: HashMap<UserId, BTreeSet<AccountId>>,
    /// Everyone each person supervises, directly or through others (the graph's closure).
    supervises: HashMap<UserId, HashSet<UserId>>,
    /// Direct supervisors, for "who may I see".
    supervisors: HashMap<UserId, BTreeSet<UserId>>,
    token_by_hash: HashMap<[u8; 32], TokenId>,
    tokens: HashMap<TokenId, TokenRecord>,
    ticket_key: hmac::Key,
}

fn parse<T: std::str::FromStr>(value: String, what: &str) -> Result<T, DirectoryError> {
    value
        .parse()
        .map_err(|_| DirectoryError::Corrupt(format!("unreadable {what} {value:?}")))
}

/// Reads every table into a new snapshot.
pub(super) fn read(conn: &Connection, ticket_key: &[u8; 32]) -> Result<Snapshot, DirectoryError> {
    let mut users = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT id, org_id, name, email, role FROM users")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: UserId = parse(row.get(0)?, "user id")?;
        let record = UserRecord {
            id: id.clone(),
            org: parse(row.get(1)?, "organisation id")?,
            name: row.get(2)?,
            email: row.get(3)?,
            role: parse(row.get(4)?, "role")?,
        };
        users.insert(id, record);
    }
    let mut accounts = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT id, org_id, name FROM accounts")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        accounts.insert(
            parse(row.get(0)?, "account id")?,
            AccountRecord {
                org: parse(row.get(1)?, "organisation id")?,
                name: row.get(2)?,
            },
        );
    }
    let mut teams: HashMap<AccountId, BTreeMap<UserId, Role>> = HashMap::new();
    let mut member_of: HashMap<UserId, BTreeSet<AccountId>> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT account_id, user_id, role FROM memberships")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let account: AccountId = parse(row.get(0)?, "account id")?;
        let user: UserId = parse(row.get(1)?, "user id")?;
        let role: Role = parse(row.get(2)?, "role")?;
        member_of
            .entry(user.clone())
            .or_default()
            .insert(account.clone());
        teams.entry(account).or_default().insert(user, role);
    }
    let mut direct: HashMap<UserId, BTreeSet<UserId>> = HashMap::new();
    let mut supervisors: HashMap<UserId, BTreeSet<UserId>> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT supervisor, supervisee FROM supervision")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let boss: UserId = parse(row.get(0)?, "user id")?;
        let report: UserId = parse(row.get(1)?, "user id")?;
        supervisors
            .entry(report.clone())
            .or_default()
            .insert(boss.clone());
        direct.entry(boss).or_default().insert(report);
    }
    let supervises = closure(&direct);
    let mut token_by_hash = HashMap::new();
    let mut tokens = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, hash, expires_ms, revoked_ms IS NOT NULL FROM tokens",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: TokenId = parse(row.get(0)?, "token id")?;
        let hash: Vec<u8> = row.get(2)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| DirectoryError::Corrupt(format!("token {id} hash length")))?;
        token_by_hash.insert(hash, id.clone());
        tokens.insert(
            id,
            TokenRecord {
                user: parse(row.get(1)?, "user id")?,
                expires_ms: row.get(3)?,
                revoked: row.get(4)?,
            },
        );
    }
    Ok(Snapshot {
        users,
        accounts,
        teams,
        member_of,
        supervises,
        supervisors,
        token_by_hash,
        tokens,
        ticket_key: hmac::Key::new(hmac::HMAC_SHA256, ticket_key),
    })
}

/// Everyone reachable from each supervisor, following edges; cycles are harmless.
fn closure(direct: &HashMap<UserId, BTreeSet<UserId>>) -> HashMap<UserId, HashSet<UserId>> {
    let mut out = HashMap::new();
    for boss in direct.keys() {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<&UserId> = direct[boss].iter().collect();
        while let Some(next) = queue.pop_front() {
            if next != boss
                && seen.insert(next.clone())
                && let Some(more) = direct.get(next)
            {
                queue.extend(more.iter());
            }
        }
        out.insert(boss.clone(), seen);
    }
    out
}

impl Snapshot {
    /// The person behind a bearer token, if the token is known, live and unexpired.
    pub fn authenticate_token(&self, token: &str, now_ms: i64) -> Option<Principal> {
        if token.len() > MAX_CREDENTIAL_LEN {
            return None;
        }
        let id = self.token_by_hash.get(&hash_token(token))?;
        self.principal_of(id, now_ms)
    }

    /// The person behind a token id, if that token is live and unexpired (tickets, and
    /// re-checking live connections).
    pub fn principal_of(&self, id: &TokenId, now_ms: i64) -> Option<Principal> {
        let record = self.tokens.get(id)?;
        if record.revoked || now_ms >= record.expires_ms || !self.users.contains_key(&record.user) {
            return None;
        }
        Some(Principal {
            user: record.user.clone(),
            token: id.clone(),
        })
    }

    /// A token's record (live or not).
    pub fn token(&self, id: &TokenId) -> Option<&TokenRecord> {
        self.tokens.get(id)
    }

    /// The key tickets are signed with.
    pub fn ticket_key(&self) -> &hmac::Key {
        &self.ticket_key
    }

    /// A person.
    pub fn user(&self, id: &UserId) -> Option<&UserRecord> {
        self.users.get(id)
    }

    /// What `user` may do with a document of `account` created by `creator`. See
    /// `docs/access.md` for the rules.
    pub fn document_access(
        &self,
        user: &UserId,
        account: &AccountId,
        creator: Option<&UserId>,
    ) -> Access {
        let (Some(person), Some(acc)) = (self.users.get(user), self.accounts.get(account)) else {
            return Access::Denied;
        };
        if acc.org != person.org {
            return Access::Denied;
        }
        if self
            .teams
            .get(account)
            .is_some_and(|team| team.contains_key(user))
            || creator == Some(user)
            || creator.is_some_and(|c| self.supervises.get(user).is_some_and(|s| s.contains(c)))
        {
            return Access::ReadWrite;
        }
        if person.role.reads_whole_organisation() {
            return Access::ReadOnly;
        }
        Access::Denied
    }

    /// Whether `user` reviews documents of `account` created by `creator`: they (transitively)
    /// supervise the creator, or are on the account's team as a director or higher. Reviewers
    /// mark storechecks `reviewed`; the rules are in `docs/access.md`.
    pub fn may_review(&self, user: &UserId, account: &AccountId, creator: Option<&UserId>) -> bool {
        creator
            .is_some_and(|c| c != user && self.supervises.get(user).is_some_and(|s| s.contains(c)))
            || self
                .teams
                .get(account)
                .and_then(|team| team.get(user))
                .is_some_and(|role| *role >= Role::AccountDirector)
    }

    /// Whether `user` may create documents in `account`: they are on its team.
    pub fn may_create_in(&self, user: &UserId, account: &AccountId) -> bool {
        self.teams
            .get(account)
            .is_some_and(|team| team.contains_key(user))
    }

    /// Whether `user` is on any team, hence may create documents somewhere.
    pub fn may_create_somewhere(&self, user: &UserId) -> bool {
        self.member_of.get(user).is_some_and(|a| !a.is_empty())
    }

    /// The accounts `user` may see some documents of: their teams, the accounts of the people
    /// they supervise, and every account of the organisation for management and admin.
    pub fn visible_accounts(&self, user: &UserId) -> Vec<AccountView> {
        let Some(person) = self.users.get(user) else {
            return Vec::new();
        };
        let mut out: BTreeMap<AccountId, &'static str> = BTreeMap::new();
        if person.role.reads_whole_organisation() {
            for (id, account) in &self.accounts {
                if account.org == person.org {
                    out.insert(id.clone(), "read_only");
                }
            }
        }
        let supervised = self.supervises.get(user).into_iter().flatten();
        for other in std::iter::once(user).chain(supervised) {
            for account in self.member_of.get(other).into_iter().flatten() {
                let access = if other == user {
                    "read_write"
                } else {
                    "read_only"
                };
                let entry = out.entry(account.clone()).or_insert(access);
                if access == "read_write" {
                    *entry = access;
                }
            }
        }
        out.into_iter()
            .filter_map(|(id, access)| {
                let account = self.accounts.get(&id)?;
                (account.org == person.org).then(|| AccountView {
                    name: account.name.clone(),
                    id,
                    access,
                })
            })
            .collect()
    }

    /// The team of `account`, if `user` may see the account.
    pub fn team(&self, user: &UserId, account: &AccountId) -> Option<Vec<(UserRecord, Role)>> {
        if !self.visible_accounts(user).iter().any(|a| &a.id == account) {
            return None;
        }
        Some(
            self.teams
                .get(account)
                .into_iter()
                .flatten()
                .filter_map(|(id, role)| Some((self.users.get(id)?.clone(), *role)))
                .collect(),
        )
    }

    /// The people `user` may see: teammates, whom they supervise, who supervises them; the
    /// whole organisation for management and admin.
    pub fn visible_people(&self, user: &UserId) -> Vec<UserRecord> {
        let Some(person) = self.users.get(user) else {
            return Vec::new();
        };
        let mut ids: BTreeSet<&UserId> = BTreeSet::new();
        if person.role.reads_whole_organisation() {
            ids.extend(
                self.users
                    .values()
                    .filter(|u| u.org == person.org)
                    .map(|u| &u.id),
            );
        }
        ids.insert(user);
        for account in self.member_of.get(user).into_iter().flatten() {
            ids.extend(self.teams.get(account).into_iter().flat_map(|t| t.keys()));
        }
        ids.extend(self.supervises.get(user).into_iter().flatten());
        ids.extend(self.supervisors.get(user).into_iter().flatten());
        ids.into_iter()
            .filter_map(|id| self.users.get(id))
            .filter(|u| u.org == person.org)
            .cloned()
            .collect()
    }

    /// Every person of `org`.
    pub fn people_of(&self, org: &OrgId) -> Vec<UserRecord> {
        let mut out: Vec<UserRecord> = self
            .users
            .values()
            .filter(|u| &u.org == org)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Every account of `org`, as `(id, name)`.
    pub fn accounts_of(&self, org: &OrgId) -> Vec<(AccountId, String)> {
        let mut out: Vec<(AccountId, String)> = self
            .accounts
            .iter()
            .filter(|(_, a)| &a.org == org)
            .map(|(id, a)| (id.clone(), a.name.clone()))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        s.parse().expect("id")
    }

    #[test]
    fn closure_follows_the_graph_and_survives_cycles() {
        let mut direct: HashMap<UserId, BTreeSet<UserId>> = HashMap::new();
        direct.entry(id("dir")).or_default().insert(id("sup"));
        direct.entry(id("sup")).or_default().insert(id("jr"));
        direct.entry(id("other")).or_default().insert(id("jr"));
        direct.entry(id("jr")).or_default().insert(id("dir"));
        let c = closure(&direct);
        assert!(c[&id("dir")].contains(&id("jr")));
        assert!(c[&id("other")].contains(&id("jr")));
        assert!(
            !c[&id("dir")].contains(&id("dir")),
            "nobody supervises themselves"
        );
    }
}
