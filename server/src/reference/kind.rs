//! The kinds of reference data, each imported from its own CSV file with a fixed header.

use std::fmt;
use std::str::FromStr;

/// A kind of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// `stores.csv`: the organisation's stores.
    Stores,
    /// `products.csv`: products, the accounts' own and their competitors'.
    Products,
    /// `assortments.csv`: what each account expects of a product in a store or cluster.
    Assortments,
    /// `contacts.csv`: people at the client.
    Contacts,
    /// `visit-plans.csv`: who visits what, and how often.
    VisitPlans,
}

impl ReferenceKind {
    /// Every kind, in the order they are best imported (later kinds name earlier ones).
    pub const ALL: [ReferenceKind; 5] = [
        ReferenceKind::Stores,
        ReferenceKind::Products,
        ReferenceKind::Assortments,
        ReferenceKind::Contacts,
        ReferenceKind::VisitPlans,
    ];

    /// Its name in routes and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Stores => "stores",
            ReferenceKind::Products => "products",
            ReferenceKind::Assortments => "assortments",
            ReferenceKind::Contacts => "contacts",
            ReferenceKind::VisitPlans => "visit-plans",
        }
    }

    /// The exact header (first line) its file must have.
    pub fn header(self) -> &'static [&'static str] {
        match self {
            ReferenceKind::Stores => &[
                "code", "name", "chain", "format", "address", "region", "lat", "lon", "cluster",
            ],
            ReferenceKind::Products => &["gtin", "name", "brand", "category", "owner_account"],
            ReferenceKind::Assortments => &[
                "account",
                "store",
                "gtin",
                "must_stock",
                "target_facings",
                "target_price",
                "currency",
            ],
            ReferenceKind::Contacts => &["account", "id", "name", "title", "email"],
            ReferenceKind::VisitPlans => &[
                "account",
                "id",
                "user",
                "store",
                "weekday",
                "every_weeks",
                "starts_on",
                "ends_on",
                "note",
            ],
        }
    }

    /// Whether rows of this kind belong to one account (a director may import them for the
    /// accounts they direct); stores and products are the whole organisation's.
    pub fn per_account(self) -> bool {
        matches!(
            self,
            ReferenceKind::Assortments | ReferenceKind::Contacts | ReferenceKind::VisitPlans
        )
    }
}

impl fmt::Display for ReferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?}: use stores, products, assortments, contacts or visit-plans")]
pub struct UnknownKind(String);

impl FromStr for ReferenceKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        ReferenceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(40).collect()))
    }
}
