//! `seed`: an enlace data directory with one organisation, one account and N users on its
//! team, each with a bearer token. Library calls on the directory, before the server starts.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use enlace_server::directory::{AccountId, Directory, OrgId, Role, UserId};
use serde_json::{Value, json};

use crate::error::BenchError;

/// The organisation every benchmark user belongs to.
const ORG: &str = "bench";

/// Where the tokens go, inside the data directory.
pub const TOKENS_FILE: &str = "bench-tokens.txt";

/// Seeds `data` with `users` users on `account`'s team and writes their tokens, one per line,
/// to `data/bench-tokens.txt`.
pub fn seed(data: &Path, users: usize, account: &str) -> Result<Value, BenchError> {
    std::fs::create_dir_all(data).map_err(|source| BenchError::Io {
        what: format!("creating {}", data.display()),
        source,
    })?;
    let directory = Directory::open_in(data)?;
    let id = |s: &str| BenchError::Id(s.to_owned());
    let org: OrgId = ORG.parse().map_err(|_| id(ORG))?;
    let org = directory.create_org(Some(org), "bench")?;
    let account: AccountId = account.parse().map_err(|_| id(account))?;
    let account = directory.create_account(&org, Some(account), "bench")?;
    let mut tokens = String::new();
    for i in 0..users {
        let name = format!("bench-user-{i}");
        let user: UserId = name.parse().map_err(|_| id(&name))?;
        let email = format!("{name}@bench.invalid");
        let user =
            directory.create_user(&org, Some(user), &name, &email, Role::AccountExecutive)?;
        directory.set_member(&org, &account, &user, None)?;
        let issued = directory.issue_token(&org, &user, Duration::from_secs(24 * 3600), "bench")?;
        tokens.push_str(&issued.token);
        tokens.push('\n');
        if (i + 1) % 100 == 0 {
            eprintln!("seeded {} users", i + 1);
        }
    }
    let path = data.join(TOKENS_FILE);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&path)?;
        file.write_all(tokens.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|source| BenchError::Io {
        what: format!("writing {}", path.display()),
        source,
    })?;
    Ok(json!({"users": users, "tokens_file": path.display().to_string()}))
}
