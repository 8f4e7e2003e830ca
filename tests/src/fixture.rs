//! A small agency seeded straight into a data directory's directory (through the server's own
//! [`Directory`]), before a server starts on it: the people, accounts and teams the access tests
//! share, and a token per person.
//!
//! Organisation `andes` has accounts `acme` and `beta`; organisation `pampa` has `gamma`.
//! - One person per role (`jr`, `ae`, `sup`, `dir`, `mgmt`, `admin`), all on `acme`'s team.
//! - `mate`, an account executive on `acme`: the teammate whose documents everyone on the team
//!   shares.
//! - For each role person `X`, a junior `sub-X` on `beta` whom `X` supervises.
//! - `outsider`, an account executive on `beta` whom nobody supervises.
//! - `foreigner`, an account executive of `pampa` on `gamma`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use enlace_server::directory::{AccountId, Directory, OrgId, Role, UserId};

/// The six role people, by id.
pub const ROLE_PEOPLE: [(&str, Role); 6] = [
    ("jr", Role::JuniorExecutive),
    ("ae", Role::AccountExecutive),
    ("sup", Role::AccountSupervisor),
    ("dir", Role::AccountDirector),
    ("mgmt", Role::Management),
    ("admin", Role::Admin),
];

/// The seeded agency: a bearer token for every person, by user id.
#[derive(Debug, Clone)]
pub struct Agency {
    /// Token secrets by user id.
    pub tokens: BTreeMap<String, String>,
    /// Token ids (for revoking) by user id.
    pub token_ids: BTreeMap<String, String>,
}

impl Agency {
    /// The token of `user`.
    pub fn token(&self, user: &str) -> &str {
        self.tokens
            .get(user)
            .unwrap_or_else(|| panic!("no person {user} in the fixture"))
    }

    /// The token id of `user`.
    pub fn token_id(&self, user: &str) -> &str {
        self.token_ids
            .get(user)
            .unwrap_or_else(|| panic!("no person {user} in the fixture"))
    }
}

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("fixture id")
}

/// Seeds the agency into `data_dir` (created if missing). Call before the server starts.
pub fn seed(data_dir: &Path) -> Agency {
    std::fs::create_dir_all(data_dir).expect("data dir");
    let d = Directory::open_in(data_dir).expect("open directory");
    let andes: OrgId = d
        .create_org(Some(id("andes")), "Agencia Andes")
        .expect("org");
    let pampa: OrgId = d
        .create_org(Some(id("pampa")), "Agencia Pampa")
        .expect("org");
    let acme: AccountId = d
        .create_account(&andes, Some(id("acme")), "Lácteos Acme")
        .expect("account");
    let beta: AccountId = d
        .create_account(&andes, Some(id("beta")), "Bebidas Beta")
        .expect("account");
    let gamma: AccountId = d
        .create_account(&pampa, Some(id("gamma")), "Galletas Gamma")
        .expect("account");
    let mut people: Vec<(OrgId, UserId)> = Vec::new();
    let mut person = |org: &OrgId, name: &str, role: Role, account: &AccountId| -> UserId {
        let user = d
            .create_user(
                org,
                Some(id(name)),
                name,
                &format!("{name}@example.com"),
                role,
            )
            .expect("user");
        d.set_member(org, account, &user, None).expect("member");
        people.push((org.clone(), user.clone()));
        user
    };
    for (name, role) in ROLE_PEOPLE {
        let boss = person(&andes, name, role, &acme);
        let sub = person(&andes, &format!("sub-{name}"), Role::JuniorExecutive, &beta);
        d.add_supervision(&andes, &boss, &sub).expect("supervision");
    }
    person(&andes, "mate", Role::AccountExecutive, &acme);
    person(&andes, "outsider", Role::AccountExecutive, &beta);
    person(&pampa, "foreigner", Role::AccountExecutive, &gamma);
    let mut tokens = BTreeMap::new();
    let mut token_ids = BTreeMap::new();
    for (org, user) in people {
        let issued = d
            .issue_token(&org, &user, Duration::from_secs(3600), "test")
            .expect("token");
        tokens.insert(user.to_string(), issued.token);
        token_ids.insert(user.to_string(), issued.id.to_string());
    }
    Agency { tokens, token_ids }
}
