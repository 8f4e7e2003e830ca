//! KPIs derived from a storecheck's lines. Never stored: a stored score would go stale the moment
//! a merge brings in a recount, and two replicas could disagree on it.

use serde::Serialize;

use super::Storecheck;
use super::line::{Planogram, Presence};

/// A fraction kept exact (`numerator / denominator`), so reports can sum them across stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Ratio {
    /// Counted items.
    pub numerator: u64,
    /// Out of.
    pub denominator: u64,
}

impl Ratio {
    fn of(numerator: u64, denominator: u64) -> Option<Ratio> {
        (denominator > 0).then_some(Ratio {
            numerator,
            denominator,
        })
    }

    /// As a number in 0.0..=1.0 (may exceed 1.0 for share of shelf with inconsistent counts).
    pub fn value(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// All KPIs of one storecheck; `None` where nothing was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Kpis {
    /// See [`Storecheck::oos_rate`].
    pub oos_rate: Option<Ratio>,
    /// See [`Storecheck::share_of_shelf`].
    pub share_of_shelf: Option<Ratio>,
    /// See [`Storecheck::price_compliance`].
    pub price_compliance: Option<Ratio>,
    /// See [`Storecheck::perfect_store_score`].
    pub perfect_store_score: Option<u8>,
}

impl Storecheck {
    fn live_lines(&self) -> impl Iterator<Item = &super::line::Line> {
        self.lines
            .values()
            .filter(|l| !l.deleted && l.product.is_own)
    }

    /// Out-of-stock rate: own must-stock lines found `oos`, over those found `present` or `oos`.
    /// `not_listed`, `delisted` and `not_checked` are outside the denominator: a product the store
    /// never listed is a listing problem, not a stock-out.
    pub fn oos_rate(&self) -> Option<Ratio> {
        let (mut oos, mut seen) = (0, 0);
        for l in self.live_lines().filter(|l| l.expected.must_stock) {
            match l.presence {
                Presence::Oos => {
                    oos += 1;
                    seen += 1;
                }
                Presence::Present => seen += 1,
                _ => {}
            }
        }
        Ratio::of(oos, seen)
    }

    /// Share of shelf: own facings over the total facings of the category blocks.
    pub fn share_of_shelf(&self) -> Option<Ratio> {
        let own: u64 = self
            .live_lines()
            .filter(|l| l.presence == Presence::Present)
            .filter_map(|l| l.facings)
            .map(|f| f.max(0).unsigned_abs())
            .sum();
        let total: u64 = self
            .category_blocks
            .values()
            .filter(|b| !b.deleted)
            .filter_map(|b| b.total_facings)
            .map(|f| f.max(0).unsigned_abs())
            .sum();
        Ratio::of(own, total)
    }

    /// Price compliance: own lines with both a target and a shelf price in the same currency
    /// whose shelf price is at most the target (recommended retail price).
    pub fn price_compliance(&self) -> Option<Ratio> {
        let (mut ok, mut n) = (0, 0);
        for l in self.live_lines() {
            if let (Some(target), Some(shelf)) = (&l.expected.target_price, &l.shelf_price)
                && target.currency == shelf.currency
            {
                n += 1;
                if shelf.amount_minor <= target.amount_minor {
                    ok += 1;
                }
            }
        }
        Ratio::of(ok, n)
    }

    /// Perfect-store score 0..=100: the mean of the measured components, each 0..=1:
    /// availability (1 - OOS rate), facings at or above target, price compliance, planogram
    /// compliance, and expected POP material present. Components with nothing measured are left
    /// out rather than counted as zero.
    pub fn perfect_store_score(&self) -> Option<u8> {
        let facings = {
            let with_target: Vec<_> = self
                .live_lines()
                .filter_map(|l| l.expected.target_facings.map(|t| (t, l.facings)))
                .collect();
            let ok = with_target
                .iter()
                .filter(|(t, f)| f.is_some_and(|f| f >= *t))
                .count();
            Ratio::of(ok as u64, with_target.len() as u64)
        };
        let planogram = {
            let set: Vec<_> = self.live_lines().filter_map(|l| l.planogram).collect();
            let ok = set.iter().filter(|p| **p == Planogram::Compliant).count();
            Ratio::of(ok as u64, set.len() as u64)
        };
        let pop = {
            let expected: Vec<_> = self
                .pop_items
                .values()
                .filter(|p| !p.deleted && p.expected && p.present.is_some())
                .collect();
            let ok = expected.iter().filter(|p| p.present == Some(true)).count();
            Ratio::of(ok as u64, expected.len() as u64)
        };
        let parts: Vec<f64> = [
            self.oos_rate().map(|r| 1.0 - r.value()),
            facings.map(Ratio::value),
            self.price_compliance().map(Ratio::value),
            planogram.map(Ratio::value),
            pop.map(Ratio::value),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            return None;
        }
        let mean = parts.iter().sum::<f64>() / parts.len() as f64;
        Some((mean * 100.0).round().clamp(0.0, 100.0) as u8)
    }

    /// Every KPI at once (for reports and the JSON view).
    pub fn kpis(&self) -> Kpis {
        Kpis {
            oos_rate: self.oos_rate(),
            share_of_shelf: self.share_of_shelf(),
            price_compliance: self.price_compliance(),
            perfect_store_score: self.perfect_store_score(),
        }
    }
}
