//! An immutable in-memory copy of the directory, and the access rules over it.
//!
//! The sync engine asks "may this connection read this document?" for every message, on its own
//! thread, without IO; it asks a [`Snapshot`]. A change to the directory makes a new snapshot
//! (they are small: people, accounts, teams, edges, tokens) rather than patching this one.
//!
//! The snapshot is one [`Tenant`] per organisation plus the tokens. Every question names a
//! person by [`UserKey`] and an account by [`AccountKey`]; the snapshot finds the organisation
//! first and asks its tenant, so nothing is ever looked up across organisations.

use std::collections::{BTreeSet, HashMap};

use enlace_core::sync::Access;
use ring::hmac;
use rusqlite::Connection;

use super::tenant::{AccountView, Tenant, UserRecord, closure};
use super::{AccountId, AccountKey, DirectoryError, OrgId, Role, TokenId, UserId, UserKey};
use crate::auth::secret::{MAX_CREDENTIAL_LEN, hash_token};

/// One token, without its secret.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Whose.
    pub user: UserKey,
    /// Expiry, milliseconds since the Unix epoch.
    pub expires_ms: i64,
    /// Revoked tokens stay listed so their tickets can be told apart from garbage in logs.
    pub revoked: bool,
}

/// Who a connection or request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The person, with their organisation.
    pub user: UserKey,
    /// The token they presented (directly or through a ticket).
    pub token: TokenId,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct Snapshot {
    tenants: HashMap<OrgId, Tenant>,
    token_by_hash: HashMap<[u8; 32], TokenId>,
    tokens: HashMap<TokenId, TokenRecord>,
    ticket_key: hmac::Key,
}

fn parse<T: std::str::FromStr>(value: String, what: &str) -> Result<T, DirectoryError> {
    value
        .parse()
        .map_err(|_| DirectoryError::Corrupt(format!("unreadable {what} {value:?}")))
}

/// The tenant of `org`. Rows name their organisation; one that names none known is a damaged
/// file (the foreign keys forbid it).
fn tenant<'a>(
    tenants: &'a mut HashMap<OrgId, Tenant>,
    org: &OrgId,
) -> Result<&'a mut Tenant, DirectoryError> {
    tenants
        .get_mut(org)
        .ok_or_else(|| DirectoryError::Corrupt(format!("rows of unknown organisation {org}")))
}

/// Reads every table into a new snapshot.
pub(super) fn read(conn: &Connection, ticket_key: &[u8; 32]) -> Result<Snapshot, DirectoryError> {
    let mut tenants: HashMap<OrgId, Tenant> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT id, name FROM organisations")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let tenant = Tenant {
            name: row.get(1)?,
            ..Tenant::default()
        };
        tenants.insert(parse(row.get(0)?, "organisation id")?, tenant);
    }
    let mut stmt = conn.prepare_cached("SELECT org_id, id, name, email, role FROM users")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let org: OrgId = parse(row.get(0)?, "organisation id")?;
        let id: UserId = parse(row.get(1)?, "user id")?;
        let record = UserRecord {
            id: id.clone(),
            org: org.clone(),
            name: row.get(2)?,
            email: row.get(3)?,
            role: parse(row.get(4)?, "role")?,
        };
        tenant(&mut tenants, &org)?.users.insert(id, record);
    }
    let mut stmt = conn.prepare_cached("SELECT org_id, id, name FROM accounts")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let org: OrgId = parse(row.get(0)?, "organisation id")?;
        let id: AccountId = parse(row.get(1)?, "account id")?;
        tenant(&mut tenants, &org)?.accounts.insert(id, row.get(2)?);
    }
    let mut stmt =
        conn.prepare_cached("SELECT org_id, account_id, user_id, role FROM memberships")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let org: OrgId = parse(row.get(0)?, "organisation id")?;
        let account: AccountId = parse(row.get(1)?, "account id")?;
        let user: UserId = parse(row.get(2)?, "user id")?;
        let role: Role = parse(row.get(3)?, "role")?;
        let t = tenant(&mut tenants, &org)?;
        t.member_of
            .entry(user.clone())
            .or_default()
            .insert(account.clone());
        t.teams.entry(account).or_default().insert(user, role);
    }
    let mut direct: HashMap<OrgId, HashMap<UserId, BTreeSet<UserId>>> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT org_id, supervisor, supervisee FROM supervision")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let org: OrgId = parse(row.get(0)?, "organisation id")?;
        let boss: UserId = parse(row.get(1)?, "user id")?;
        let report: UserId = parse(row.get(2)?, "user id")?;
        tenant(&mut tenants, &org)?
            .supervisors
            .entry(report.clone())
            .or_default()
            .insert(boss.clone());
        direct
            .entry(org)
            .or_default()
            .entry(boss)
            .or_default()
            .insert(report);
    }
    for (org, edges) in &direct {
        tenant(&mut tenants, org)?.supervises = closure(edges);
    }
    let mut token_by_hash = HashMap::new();
    let mut tokens = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, org_id, user_id, hash, expires_ms, revoked_ms IS NOT NULL FROM tokens",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: TokenId = parse(row.get(0)?, "token id")?;
        let hash: Vec<u8> = row.get(3)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| DirectoryError::Corrupt(format!("token {id} hash length")))?;
        token_by_hash.insert(hash, id.clone());
        tokens.insert(
            id,
            TokenRecord {
                user: UserKey::new(
                    parse(row.get(1)?, "organisation id")?,
                    parse(row.get(2)?, "user id")?,
                ),
                expires_ms: row.get(4)?,
                revoked: row.get(5)?,
            },
        );
    }
    Ok(Snapshot {
        tenants,
        token_by_hash,
        tokens,
        ticket_key: hmac::Key::new(hmac::HMAC_SHA256, ticket_key),
    })
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
        if record.revoked || now_ms >= record.expires_ms || self.user(&record.user).is_none() {
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
    pub fn user(&self, user: &UserKey) -> Option<&UserRecord> {
        self.tenants.get(&user.org)?.users.get(&user.id)
    }

    /// What `user` may do with a document of `account` created by `creator`: nothing across
    /// organisations. See `docs/access.md` for the rules.
    pub fn document_access(
        &self,
        user: &UserKey,
        account: &AccountKey,
        creator: Option<&UserKey>,
    ) -> Access {
        if user.org != account.org {
            return Access::Denied;
        }
        let Some(tenant) = self.tenants.get(&user.org) else {
            return Access::Denied;
        };
        let creator = creator.filter(|c| c.org == user.org).map(|c| &c.id);
        tenant.document_access(&user.id, &account.id, creator)
    }

    /// Whether `user` reviews documents of `account` created by `creator`: see
    /// [`Tenant::may_review`]. Never across organisations.
    pub fn may_review(
        &self,
        user: &UserKey,
        account: &AccountKey,
        creator: Option<&UserKey>,
    ) -> bool {
        if user.org != account.org {
            return false;
        }
        let creator = creator.filter(|c| c.org == user.org).map(|c| &c.id);
        self.tenants
            .get(&user.org)
            .is_some_and(|tenant| tenant.may_review(&user.id, &account.id, creator))
    }

    /// Whether `user` may create documents in `account`: they are on its team.
    pub fn may_create_in(&self, user: &UserKey, account: &AccountKey) -> bool {
        user.org == account.org
            && self
                .tenants
                .get(&user.org)
                .is_some_and(|t| t.on_team(&user.id, &account.id))
    }

    /// Whether `user` is on any team, hence may create documents somewhere.
    pub fn may_create_somewhere(&self, user: &UserKey) -> bool {
        self.tenants
            .get(&user.org)
            .is_some_and(|t| t.on_some_team(&user.id))
    }

    /// The accounts `user` may see some documents of: their teams, the accounts of the people
    /// they supervise, and every account of the organisation for management and admin.
    pub fn visible_accounts(&self, user: &UserKey) -> Vec<AccountView> {
        self.tenants
            .get(&user.org)
            .map(|t| t.visible_accounts(&user.id))
            .unwrap_or_default()
    }

    /// The team of `account` of `user`'s organisation, if `user` may see the account.
    pub fn team(&self, user: &UserKey, account: &AccountId) -> Option<Vec<(UserRecord, Role)>> {
        self.tenants.get(&user.org)?.team(&user.id, account)
    }

    /// The people `user` may see: teammates, whom they supervise, who supervises them; the
    /// whole organisation for management and admin.
    pub fn visible_people(&self, user: &UserKey) -> Vec<UserRecord> {
        self.tenants
            .get(&user.org)
            .map(|t| t.visible_people(&user.id))
            .unwrap_or_default()
    }

    /// Every person of `org`.
    pub fn people_of(&self, org: &OrgId) -> Vec<UserRecord> {
        self.tenants
            .get(org)
            .map(Tenant::people)
            .unwrap_or_default()
    }

    /// The display name of `org`, if it exists.
    pub fn organisation_name(&self, org: &OrgId) -> Option<&str> {
        self.tenants.get(org).map(|t| t.name.as_str())
    }

    /// Every account of `org`, as `(id, name)`.
    pub fn accounts_of(&self, org: &OrgId) -> Vec<(AccountId, String)> {
        self.tenants
            .get(org)
            .map(Tenant::accounts)
            .unwrap_or_default()
    }

    /// The organisations that have an account `account`: how a registration written before ids
    /// were per organisation finds its account (while exactly one has it).
    pub fn organisations_with_account(&self, account: &AccountId) -> Vec<OrgId> {
        let mut out: Vec<OrgId> = self
            .tenants
            .iter()
            .filter(|(_, t)| t.accounts.contains_key(account))
            .map(|(org, _)| org.clone())
            .collect();
        out.sort();
        out
    }
}
