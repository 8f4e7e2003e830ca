//! One CSV line of each kind, checked on its own (no database): the typed rows an import
//! writes. What a row names elsewhere (an account, a store, a product, a user) is checked
//! against the tables by `tables`.

use enlace_core::ids::EntityId;
use enlace_core::model::catalog::{VisitPlan, Weekday};
use enlace_core::model::{Currency, Money};

use super::gtin;
use super::kind::ReferenceKind;
use crate::directory::{AccountId, UserId};

/// Longest text field accepted, in bytes (as the catalog's short strings).
pub(crate) const MAX_FIELD_BYTES: usize = 1_000;

/// Longest store code, contact id or plan id, in bytes.
pub(crate) const MAX_CODE_BYTES: usize = 128;

/// A store.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoreRow {
    pub code: String,
    pub name: String,
    pub chain: String,
    pub format: String,
    pub address: String,
    pub region: String,
    /// Latitude and longitude, when both are given.
    pub geo: Option<(f64, f64)>,
    /// '' for none.
    pub cluster: String,
}

/// A product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductRow {
    pub gtin: String,
    pub name: String,
    pub brand: String,
    pub category: String,
    /// The account whose own product it is.
    pub owner: Option<AccountId>,
}

/// Where an assortment row applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Scope {
    /// One store, by code.
    Store(String),
    /// Every store of a cluster.
    Cluster(String),
}

/// One product expected in a store or cluster, for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssortmentRow {
    pub account: AccountId,
    pub scope: Scope,
    pub gtin: String,
    pub must_stock: bool,
    pub target_facings: Option<i64>,
    pub target_price: Option<Money>,
}

/// A person at the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContactRow {
    pub account: AccountId,
    pub id: String,
    pub name: String,
    pub title: String,
    pub email: String,
}

/// A planned visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanRow {
    pub account: AccountId,
    pub user: UserId,
    /// Checked by the model's own [`VisitPlan::validate`].
    pub plan: VisitPlan,
}

/// A row of any kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Row {
    Store(StoreRow),
    Product(ProductRow),
    Assortment(AssortmentRow),
    Contact(ContactRow),
    Plan(PlanRow),
}

impl Row {
    /// The account the row belongs to, for kinds that belong to one.
    pub(crate) fn account(&self) -> Option<&AccountId> {
        match self {
            Row::Store(_) | Row::Product(_) => None,
            Row::Assortment(r) => Some(&r.account),
            Row::Contact(r) => Some(&r.account),
            Row::Plan(r) => Some(&r.account),
        }
    }

    /// The row's key in its table, to find a line that repeats another.
    pub(crate) fn key(&self) -> String {
        match self {
            Row::Store(r) => r.code.clone(),
            Row::Product(r) => r.gtin.clone(),
            Row::Assortment(r) => {
                let scope = match &r.scope {
                    Scope::Store(code) => code.clone(),
                    Scope::Cluster(name) => format!("cluster:{name}"),
                };
                format!("{}/{scope}/{}", r.account, r.gtin)
            }
            Row::Contact(r) => format!("{}/{}", r.account, r.id),
            Row::Plan(r) => format!("{}/{}", r.account, r.plan.id),
        }
    }
}

/// Parses one record of `kind` (fields trimmed, as many as the header has).
pub(crate) fn parse(kind: ReferenceKind, f: &[&str]) -> Result<Row, String> {
    let field = |i: usize| f.get(i).copied().unwrap_or("");
    Ok(match kind {
        ReferenceKind::Stores => Row::Store(StoreRow {
            code: code(field(0), "code")?,
            name: required(field(1), "name")?,
            chain: text(field(2), "chain")?,
            format: text(field(3), "format")?,
            address: text(field(4), "address")?,
            region: text(field(5), "region")?,
            geo: geo(field(6), field(7))?,
            cluster: cluster(field(8))?,
        }),
        ReferenceKind::Products => Row::Product(ProductRow {
            gtin: barcode(field(0))?,
            name: required(field(1), "name")?,
            brand: text(field(2), "brand")?,
            category: text(field(3), "category")?,
            owner: optional(field(4))
                .map(|a| account(a, "owner_account"))
                .transpose()?,
        }),
        ReferenceKind::Assortments => Row::Assortment(AssortmentRow {
            account: account(field(0), "account")?,
            scope: scope(field(1))?,
            gtin: barcode(field(2))?,
            must_stock: boolean(field(3), "must_stock")?,
            target_facings: optional(field(4)).map(facings).transpose()?,
            target_price: price(field(5), field(6))?,
        }),
        ReferenceKind::Contacts => Row::Contact(ContactRow {
            account: account(field(0), "account")?,
            id: code(field(1), "id")?,
            name: required(field(2), "name")?,
            title: text(field(3), "title")?,
            email: email(field(4))?,
        }),
        ReferenceKind::VisitPlans => {
            let user: UserId = field(2).parse().map_err(|e| format!("user: {e}"))?;
            let plan = VisitPlan {
                id: entity(field(1), "id")?,
                user_id: entity(user.as_str(), "user")?,
                store_code: optional(field(3)).map(|s| code(s, "store")).transpose()?,
                weekday: Weekday::parse(&field(4).to_lowercase()).ok_or_else(|| {
                    format!("weekday: {:?} is not monday..sunday", clip(field(4)))
                })?,
                every_weeks: every_weeks(field(5))?,
                starts_on: field(6).to_owned(),
                ends_on: optional(field(7)).map(str::to_owned),
                note: text(field(8), "note")?,
            };
            plan.validate("plan").map_err(|e| e.to_string())?;
            if plan
                .ends_on
                .as_deref()
                .is_some_and(|end| end < plan.starts_on.as_str())
            {
                return Err("ends_on: before starts_on".into());
            }
            Row::Plan(PlanRow {
                account: account(field(0), "account")?,
                user,
                plan,
            })
        }
    })
}

/// At most 40 characters of a value, for quoting it in a reason.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

fn optional(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn text(s: &str, name: &str) -> Result<String, String> {
    if s.len() > MAX_FIELD_BYTES {
        return Err(format!("{name}: longer than {MAX_FIELD_BYTES} bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{name}: contains control characters"));
    }
    Ok(s.to_owned())
}

fn required(s: &str, name: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!("{name}: is required"));
    }
    text(s, name)
}

/// A store code, contact id or plan id: required, short, no spaces or `/` (it is part of a key
/// in the API's paths) and no `:` (`cluster:` marks a cluster).
fn code(s: &str, name: &str) -> Result<String, String> {
    let s = required(s, name)?;
    if s.len() > MAX_CODE_BYTES {
        return Err(format!("{name}: longer than {MAX_CODE_BYTES} bytes"));
    }
    if s.chars().any(|c| c.is_whitespace() || c == '/' || c == ':') {
        return Err(format!("{name}: no spaces, '/' or ':' in a code"));
    }
    Ok(s)
}

fn cluster(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Ok(String::new());
    }
    code(s, "cluster")
}

fn entity(s: &str, name: &str) -> Result<EntityId, String> {
    s.parse().map_err(|_| format!("{name}: not a valid id"))
}

fn account(s: &str, name: &str) -> Result<AccountId, String> {
    s.parse().map_err(|e| format!("{name}: {e}"))
}

fn barcode(s: &str) -> Result<String, String> {
    gtin::check(s).map_err(|e| format!("gtin: {e}"))?;
    Ok(s.to_owned())
}

fn geo(lat: &str, lon: &str) -> Result<Option<(f64, f64)>, String> {
    match (optional(lat), optional(lon)) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => {
            let degrees = |s: &str, name: &str, max: f64| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && v.abs() <= max)
                    .ok_or_else(|| format!("{name}: not a number within ±{max}"))
            };
            Ok(Some((
                degrees(lat, "lat", 90.0)?,
                degrees(lon, "lon", 180.0)?,
            )))
        }
        _ => Err("lat, lon: give both or neither".into()),
    }
}

fn scope(s: &str) -> Result<Scope, String> {
    match s.strip_prefix("cluster:") {
        Some(name) => Ok(Scope::Cluster(code(name, "store (cluster name)")?)),
        None => Ok(Scope::Store(code(s, "store")?)),
    }
}

fn boolean(s: &str, name: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{name}: use true, false, 1, 0, yes or no")),
    }
}

fn facings(s: &str) -> Result<i64, String> {
    s.parse::<i64>()
        .ok()
        .filter(|n| (0..=100_000).contains(n))
        .ok_or_else(|| "target_facings: a whole number from 0 to 100000".into())
}

fn every_weeks(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|n| *n <= 52)
        .ok_or_else(|| "every_weeks: a whole number from 0 (once) to 52".into())
}

/// Loose on purpose (the address is the client's to get right): one `@` with something on
/// each side, no spaces.
fn email(s: &str) -> Result<String, String> {
    let s = required(s, "email")?;
    let ok = s.matches('@').count() == 1
        && !s.starts_with('@')
        && !s.ends_with('@')
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(s)
    } else {
        Err("email: one '@', something on each side, no spaces".into())
    }
}

/// A decimal amount in the currency's major units (`1990`, `12.50`), in minor units.
fn price(amount: &str, currency: &str) -> Result<Option<Money>, String> {
    let Some(amount) = optional(amount) else {
        return Ok(None);
    };
    let currency = Currency::from_code(currency).map_err(|_| {
        format!(
            "currency: {:?} is not a known ISO-4217 code",
            clip(currency)
        )
    })?;
    let digits = usize::from(currency.minor_digits());
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err("target_price: a positive decimal like 1990 or 12.50".into());
    }
    if fraction.len() > digits {
        return Err(format!(
            "target_price: {currency} has {digits} decimal places, not {}",
            fraction.len()
        ));
    }
    let minor = format!("{whole}{fraction:0<digits$}");
    let minor: i64 = minor
        .parse()
        .map_err(|_| "target_price: too large".to_owned())?;
    Money::new(minor, currency.code())
        .map(Some)
        .map_err(|e| format!("target_price: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_minor_units() {
        let p = |a, c| price(a, c).map(|m| m.map(|m| m.amount_minor));
        assert_eq!(p("1990", "CLP"), Ok(Some(1990)));
        assert_eq!(p("12.50", "MXN"), Ok(Some(1250)));
        assert_eq!(p("12.5", "MXN"), Ok(Some(1250)));
        assert_eq!(p("", "MXN"), Ok(None));
        assert!(p("12.5", "CLP").is_err());
        assert!(p("-1", "CLP").is_err());
        assert!(p("1,5", "MXN").is_err());
        assert!(p("1", "XXX").is_err());
    }

    #[test]
    fn a_visit_plan_is_checked_by_the_model() {
        let row = |dates: [&str; 2]| {
            parse(
                ReferenceKind::VisitPlans,
                &[
                    "acme",
                    "p1",
                    "jr",
                    "",
                    "Monday",
                    "2",
                    dates[0],
                    dates[1],
                    "ñandú 🦤",
                ],
            )
        };
        assert!(matches!(row(["2026-03-02", ""]), Ok(Row::Plan(_))));
        assert!(row(["2026-02-30", ""]).is_err());
        assert!(row(["2026-03-02", "2026-03-01"]).is_err());
    }

    #[test]
    fn emails_are_loose_but_not_that_loose() {
        assert!(email("ana@acme.cl").is_ok());
        for bad in ["", "ana", "ana@@acme", "a na@acme.cl", "@acme.cl"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
