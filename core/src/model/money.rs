//! Money: integer minor units plus a validated ISO-4217 currency.
//!
//! Floats never hold money: 0.1 + 0.2 is not 0.3, and a price compliance check that compares
//! floats flips on rounding. The currency carries its minor-unit digits (CLP 0, MXN 2, KWD 3) so a
//! display layer never guesses them.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use serde::Serialize;

use super::ModelError;

/// Largest absolute amount accepted, in minor units (10^15: a quadrillion pesos). Far above any
/// shelf price or lunch bill, and small enough that sums over 5,000 lines cannot overflow `i64`.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// An ISO-4217 currency this code knows, with its minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u8,
}

/// The ISO-4217 codes enlace accepts: every currency of the Americas plus the common trading
/// currencies. Digits follow ISO-4217's minor unit column.
const TABLE: &[(&str, u8)] = &[
    // The Americas.
    ("ANG", 2),
    ("ARS", 2),
    ("AWG", 2),
    ("BBD", 2),
    ("BMD", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("DOP", 2),
    ("FKP", 2),
    ("GTQ", 2),
    ("GYD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("JMD", 2),
    ("KYD", 2),
    ("MXN", 2),
    ("NIO", 2),
    ("PAB", 2),
    ("PEN", 2),
    ("PYG", 0),
    ("SRD", 2),
    ("TTD", 2),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("VES", 2),
    ("XCD", 2),
    // Europe, Asia, Oceania, Africa, Middle East.
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    /// Looks up an ISO-4217 code (upper case, exactly as ISO writes it).
    pub fn from_code(code: &str) -> Result<Self, ModelError> {
        TABLE
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, minor_digits)| Currency { code, minor_digits })
            .ok_or_else(|| ModelError::UnknownCurrency {
                code: code.chars().take(8).collect(),
            })
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (CLP 0, MXN 2, KWD 3).
    pub fn minor_digits(self) -> u8 {
        self.minor_digits
    }
}

impl std::fmt::Debug for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Currency({})", self.code)
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

impl std::str::FromStr for Currency {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Reconcile for Currency {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(self.code)
    }
}

impl Hydrate for Currency {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        Currency::from_code(s).map_err(|_| {
            HydrateError::unexpected("an ISO-4217 currency code", s.chars().take(8).collect())
        })
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Currency::from_code(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

/// An amount of money: integer minor units (centavos, cents; whole pesos for CLP) and a currency.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Hydrate, Reconcile, Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Money {
    /// The amount in the currency's minor units.
    pub amount_minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units of the currency `code`.
    pub fn new(amount_minor: i64, code: &str) -> Result<Self, ModelError> {
        let m = Money {
            amount_minor,
            currency: Currency::from_code(code)?,
        };
        m.validate("money")?;
        Ok(m)
    }

    /// Checks the amount is within [`MAX_AMOUNT_MINOR`].
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        if self
            .amount_minor
            .checked_abs()
            .is_none_or(|a| a > MAX_AMOUNT_MINOR)
        {
            return Err(ModelError::invalid(field, "amount out of range"));
        }
        Ok(())
    }

    /// Like [`Money::validate`], and the amount must not be negative (prices, expenses).
    pub fn validate_non_negative(&self, field: &str) -> Result<(), ModelError> {
        self.validate(field)?;
        if self.amount_minor < 0 {
            return Err(ModelError::invalid(field, "must not be negative"));
        }
        Ok(())
    }

    /// The amount as a decimal string in major units (`1990` CLP -> `"1990"`, `12345` MXN ->
    /// `"123.45"`), for display and CSV.
    pub fn to_decimal_string(&self) -> String {
        let digits = u32::from(self.currency.minor_digits);
        if digits == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10_u64.pow(digits);
        let abs = self.amount_minor.unsigned_abs();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digits_follow_iso() {
        assert_eq!(Currency::from_code("CLP").unwrap().minor_digits(), 0);
        assert_eq!(Currency::from_code("MXN").unwrap().minor_digits(), 2);
        assert_eq!(Money::new(1990, "CLP").unwrap().to_decimal_string(), "1990");
        assert_eq!(
            Money::new(-12345, "MXN").unwrap().to_decimal_string(),
            "-123.45"
        );
    }

    #[test]
    fn unknown_and_out_of_range_are_errors() {
        assert!(matches!(
            Currency::from_code("XYZ"),
            Err(ModelError::UnknownCurrency { .. })
        ));
        assert!(Currency::from_code("clp").is_err());
        assert!(Money::new(i64::MIN, "USD").is_err());
        assert!(
            Money::new(-1, "USD")
                .unwrap()
                .validate_non_negative("p")
                .is_err()
        );
    }
}
