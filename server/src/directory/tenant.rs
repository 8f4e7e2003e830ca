//! One organisation's part of a [`Snapshot`](super::Snapshot), and the access rules within it.
//!
//! Every id in here is local to the organisation: the snapshot finds the tenant first, so a rule
//! written here cannot reach a person or an account of another organisation, whatever ids they
//! share.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use enlace_core::sync::Access;

use super::{AccountId, OrgId, Role, UserId, UserKey};

/// One person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRecord {
    /// Their id in their organisation.
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

impl UserRecord {
    /// The key that names them across organisations.
    pub fn key(&self) -> UserKey {
        UserKey::new(self.org.clone(), self.id.clone())
    }
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
#[derive(Debug, Default)]
pub(super) struct Tenant {
    /// The organisation's display name (the agency's name in e-mail to clients).
    pub(super) name: String,
    pub(super) users: HashMap<UserId, UserRecord>,
    /// Account names by id.
    pub(super) accounts: HashMap<AccountId, String>,
    pub(super) teams: HashMap<AccountId, BTreeMap<UserId, Role>>,
    pub(super) member_of: HashMap<UserId, BTreeSet<AccountId>>,
    /// Everyone each person supervises, directly or through others (the graph's closure).
    pub(super) supervises: HashMap<UserId, HashSet<UserId>>,
    /// Direct supervisors, for "who may I see".
    pub(super) supervisors: HashMap<UserId, BTreeSet<UserId>>,
}

/// Everyone reachable from each supervisor, following edges; cycles are harmless.
pub(super) fn closure(
    direct: &HashMap<UserId, BTreeSet<UserId>>,
) -> HashMap<UserId, HashSet<UserId>> {
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

impl Tenant {
    /// What `user` may do with a document of `account` created by `creator` (`None`: unknown,
    /// or of another organisation). See `docs/access.md` for the rules.
    pub(super) fn document_access(
        &self,
        user: &UserId,
        account: &AccountId,
        creator: Option<&UserId>,
    ) -> Access {
        let Some(person) = self.users.get(user) else {
            return Access::Denied;
        };
        if !self.accounts.contains_key(account) {
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
    pub(super) fn may_review(
        &self,
        user: &UserId,
        account: &AccountId,
        creator: Option<&UserId>,
    ) -> bool {
        creator
            .is_some_and(|c| c != user && self.supervises.get(user).is_some_and(|s| s.contains(c)))
            || self
                .teams
                .get(account)
                .and_then(|team| team.get(user))
                .is_some_and(|role| *role >= Role::AccountDirector)
    }

    /// Whether `user` is on `account`'s team.
    pub(super) fn on_team(&self, user: &UserId, account: &AccountId) -> bool {
        self.teams
            .get(account)
            .is_some_and(|team| team.contains_key(user))
    }

    /// Whether `user` is on any team.
    pub(super) fn on_some_team(&self, user: &UserId) -> bool {
        self.member_of.get(user).is_some_and(|a| !a.is_empty())
    }

    /// The accounts `user` may see some documents of: their teams, the accounts of the people
    /// they supervise, and every account for management and admin.
    pub(super) fn visible_accounts(&self, user: &UserId) -> Vec<AccountView> {
        let Some(person) = self.users.get(user) else {
            return Vec::new();
        };
        let mut out: BTreeMap<AccountId, &'static str> = BTreeMap::new();
        if person.role.reads_whole_organisation() {
            for id in self.accounts.keys() {
                out.insert(id.clone(), "read_only");
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
                Some(AccountView {
                    name: self.accounts.get(&id)?.clone(),
                    id,
                    access,
                })
            })
            .collect()
    }

    /// The team of `account`, if `user` may see the account.
    pub(super) fn team(
        &self,
        user: &UserId,
        account: &AccountId,
    ) -> Option<Vec<(UserRecord, Role)>> {
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

    /// The people `user` may see: teammates, whom they supervise, who supervises them; everyone
    /// for management and admin.
    pub(super) fn visible_people(&self, user: &UserId) -> Vec<UserRecord> {
        let Some(person) = self.users.get(user) else {
            return Vec::new();
        };
        let mut ids: BTreeSet<&UserId> = BTreeSet::new();
        if person.role.reads_whole_organisation() {
            ids.extend(self.users.keys());
        }
        ids.insert(user);
        for account in self.member_of.get(user).into_iter().flatten() {
            ids.extend(self.teams.get(account).into_iter().flat_map(|t| t.keys()));
        }
        ids.extend(self.supervises.get(user).into_iter().flatten());
        ids.extend(self.supervisors.get(user).into_iter().flatten());
        ids.into_iter()
            .filter_map(|id| self.users.get(id))
            .cloned()
            .collect()
    }

    /// Everyone, by id.
    pub(super) fn people(&self) -> Vec<UserRecord> {
        let mut out: Vec<UserRecord> = self.users.values().cloned().collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Every account, as `(id, name)`, by id.
    pub(super) fn accounts(&self) -> Vec<(AccountId, String)> {
        let mut out: Vec<(AccountId, String)> = self
            .accounts
            .iter()
            .map(|(id, name)| (id.clone(), name.clone()))
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
