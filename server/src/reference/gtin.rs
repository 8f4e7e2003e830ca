//! GTIN (barcode) checks: GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN) and GTIN-14, with the GS1
//! check digit, so a mistyped barcode is refused at import rather than never scanning.

/// Why a GTIN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GtinError {
    /// Not 8, 12, 13 or 14 ASCII digits.
    #[error("a GTIN is 8, 12, 13 or 14 digits")]
    Shape,
    /// The last digit is not the GS1 check digit of the others.
    #[error("wrong check digit: expected {expected}")]
    CheckDigit {
        /// The digit the others call for.
        expected: u32,
    },
}

/// Checks `gtin`'s length, digits and check digit.
pub(crate) fn check(gtin: &str) -> Result<(), GtinError> {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GtinError::Shape);
    }
    let digits: Vec<u32> = gtin.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, last) = digits.split_at(digits.len() - 1);
    // From the right of the body: weights 3, 1, 3, 1, ...
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    let expected = (10 - sum % 10) % 10;
    if last.first() == Some(&expected) {
        Ok(())
    } else {
        Err(GtinError::CheckDigit { expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_codes_and_refuses_typos() {
        for good in [
            "96385074",
            "036000291452",
            "4006381333931",
            "10036000291459",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        assert_eq!(
            check("4006381333932"),
            Err(GtinError::CheckDigit { expected: 1 })
        );
        for bad in [
            "",
            "1234567",
            "123456789",
            "40063813339a1",
            "４００６３８１３３３９３１",
        ] {
            assert_eq!(check(bad), Err(GtinError::Shape), "{bad}");
        }
    }
}
