//! Typed edits of a storecheck, each enforcing the domain rules before the value is written.

use super::line::{Expected, Line, Presence, ProductSnapshot};
use super::{Storecheck, StorecheckStatus};
use crate::ids::EntityId;
use crate::model::ModelError;
use crate::model::limits::{MAX_ENTITIES, check_key, check_len};
use crate::model::money::Money;
use crate::model::rules::{CheckIn, check_quantity};

impl Storecheck {
    /// Adds an own-product line under `key` (the product id). An existing key is an error: a
    /// line's product is ONCE.
    pub fn add_line(
        &mut self,
        key: &str,
        product: ProductSnapshot,
        expected: Expected,
    ) -> Result<&mut Line, ModelError> {
        check_key("lines", key)?;
        check_len("lines", self.lines.len() + 1, MAX_ENTITIES)?;
        if self.lines.contains_key(key) {
            return Err(ModelError::invalid(
                format!("lines.{key}"),
                "already exists",
            ));
        }
        let line = Line::new(product, expected);
        line.validate(&format!("lines.{key}"))?;
        Ok(self.lines.entry(key.to_owned()).or_insert(line))
    }

    /// The line under `key`, for editing.
    pub fn line_mut(&mut self, key: &str) -> Result<&mut Line, ModelError> {
        self.lines.get_mut(key).ok_or_else(|| ModelError::NotFound {
            what: "line",
            id: key.chars().take(64).collect(),
        })
    }

    /// Sets the facings counted on a line (a recount replaces, never adds).
    pub fn set_facings(&mut self, key: &str, facings: i64) -> Result<(), ModelError> {
        check_quantity(&format!("lines.{key}.facings"), facings)?;
        self.line_mut(key)?.facings = Some(facings);
        Ok(())
    }

    /// Sets whether the product was on the shelf.
    pub fn set_presence(&mut self, key: &str, presence: Presence) -> Result<(), ModelError> {
        self.line_mut(key)?.presence = presence;
        Ok(())
    }

    /// Sets the shelf price seen.
    pub fn set_shelf_price(&mut self, key: &str, price: Money) -> Result<(), ModelError> {
        price.validate_non_negative(&format!("lines.{key}.shelf_price"))?;
        self.line_mut(key)?.shelf_price = Some(price);
        Ok(())
    }

    /// Soft-deletes (or restores) a line.
    pub fn set_line_deleted(&mut self, key: &str, deleted: bool) -> Result<(), ModelError> {
        self.line_mut(key)?.deleted = deleted;
        Ok(())
    }

    /// Checks in at the store (ONCE) and moves draft -> in_progress.
    pub fn check_in(&mut self, check_in: CheckIn) -> Result<(), ModelError> {
        if self.check_in.is_some() {
            return Err(ModelError::invalid("check_in", "already checked in"));
        }
        check_in.validate("check_in")?;
        self.status.advance(StorecheckStatus::InProgress)?;
        self.check_in = Some(check_in);
        Ok(())
    }

    /// Moves to `to` as a device would (no skipping, never backwards).
    pub fn advance(&mut self, to: StorecheckStatus) -> Result<(), ModelError> {
        self.status.advance(to)
    }

    /// Submits (in_progress -> submitted).
    pub fn submit(&mut self) -> Result<(), ModelError> {
        self.advance(StorecheckStatus::Submitted)
    }

    /// Marks reviewed by a supervisor (submitted -> reviewed).
    pub fn review(&mut self, reviewer: EntityId) -> Result<(), ModelError> {
        self.advance(StorecheckStatus::Reviewed)?;
        self.reviewed_by = Some(reviewer);
        Ok(())
    }

    /// **Server command only.** Reopens a submitted or reviewed storecheck for more edits: a new
    /// lifecycle round starting at `in_progress`. Phones never call this; that is what keeps a
    /// late offline edit from moving a submitted storecheck back.
    pub fn reopen(&mut self) -> Result<(), ModelError> {
        match self.status() {
            StorecheckStatus::Submitted | StorecheckStatus::Reviewed => {
                self.status.reopen(StorecheckStatus::InProgress)
            }
            s => Err(ModelError::invalid(
                "status",
                format!("cannot reopen a {} storecheck", s.as_str()),
            )),
        }
    }
}
