//! A person's planned visits and storechecks of one week, from the visit plans of every catalog
//! on the phone.

use serde::Serialize;

use super::CatalogError;
use crate::ids::EntityId;
use crate::model::Catalog;
use crate::model::catalog::day_number;
use crate::model::storecheck::StoreSnapshot;
use crate::store::Store;

/// One planned visit or storecheck on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlannedVisit {
    /// The account whose catalog holds the plan.
    pub account_id: EntityId,
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    /// The store code of a planned storecheck; `None` for a visit to the client.
    pub store_code: Option<String>,
    /// The store as the catalog has it now; `None` for a visit to the client, or when the
    /// catalog does not hold the plan's store (kept rather than dropped, so the plan still
    /// shows up).
    pub store: Option<StoreSnapshot>,
    /// What to do there.
    pub note: String,
    /// The plan it comes from.
    pub plan_id: EntityId,
}

impl Store {
    /// The visits and storechecks planned for `user_id` in the week (Monday to Sunday) that
    /// holds `day` (`YYYY-MM-DD`), across every account's catalog on the phone, by date (then
    /// account and plan).
    pub fn visit_plan_week(
        &self,
        user_id: &EntityId,
        day: &str,
    ) -> Result<Vec<PlannedVisit>, CatalogError> {
        if day_number(day).is_none() {
            return Err(CatalogError::bad_input("day", "not a YYYY-MM-DD date"));
        }
        let mut out = Vec::new();
        for listed in self.catalog_documents()? {
            let catalog = self.catalog_value(listed.id)?;
            out.extend(planned_in_week(&catalog, user_id, day));
        }
        out.sort_by(|a, b| {
            (&a.date, a.account_id.as_str(), a.plan_id.as_str()).cmp(&(
                &b.date,
                b.account_id.as_str(),
                b.plan_id.as_str(),
            ))
        });
        Ok(out)
    }
}

/// The plans of `catalog` for `user_id` falling in the week of `day`.
fn planned_in_week<'a>(
    catalog: &'a Catalog,
    user_id: &'a EntityId,
    day: &'a str,
) -> impl Iterator<Item = PlannedVisit> + 'a {
    catalog
        .visit_plans
        .values()
        .filter(move |plan| plan.user_id == *user_id)
        .filter_map(move |plan| {
            let date = plan.date_in_week_of(day)?;
            let store = plan
                .store_code
                .as_ref()
                .and_then(|code| catalog.stores.get(code))
                .map(|s| s.snapshot());
            Some(PlannedVisit {
                account_id: catalog.account_id.clone(),
                date,
                store_code: plan.store_code.clone(),
                store,
                note: plan.note.clone(),
                plan_id: plan.id.clone(),
            })
        })
}
