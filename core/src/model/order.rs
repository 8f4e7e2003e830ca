//! Fractional order keys for ORDERED collections (agenda, decisions): a map keyed by id plus an
//! `order` string per entry. Moving an item rewrites only its own `order`, so a drag on one phone
//! and an edit of the same item's text on another never conflict. Two items that get the same
//! key concurrently are shown in id order, the same on every replica.

use super::ModelError;

/// Digits of the keys, in ASCII order so that string comparison is numeric comparison.
const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Longest key accepted; repeated inserts at one spot grow keys by about one digit per six.
pub const MAX_ORDER_LEN: usize = 256;

fn digit(b: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == b)
}

/// Checks a key: digits of the alphabet, no trailing `0` (so there is always room before it).
pub fn check_order(field: &str, key: &str) -> Result<(), ModelError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_ORDER_LEN
        && key.bytes().all(|b| digit(b).is_some())
        && !key.ends_with('0');
    if !ok {
        return Err(ModelError::invalid(field, "not a fractional order key"));
    }
    Ok(())
}

/// A key strictly between `before` and `after` (either may be absent: the ends of the list).
pub fn between(before: Option<&str>, after: Option<&str>) -> Result<String, ModelError> {
    if let Some(a) = before {
        check_order("order", a)?;
    }
    if let Some(b) = after {
        check_order("order", b)?;
    }
    if let (Some(a), Some(b)) = (before, after)
        && a >= b
    {
        return Err(ModelError::invalid(
            "order",
            "before must sort before after",
        ));
    }
    let key = midpoint(before.unwrap_or("").as_bytes(), after.map(str::as_bytes));
    let key = String::from_utf8(key).map_err(|_| ModelError::invalid("order", "not ASCII"))?;
    if key.len() > MAX_ORDER_LEN {
        return Err(ModelError::TooLarge {
            field: "order".into(),
            len: key.len(),
            max: MAX_ORDER_LEN,
        });
    }
    Ok(key)
}

/// Midpoint of two digit strings read as fractions `0.a` and `0.b` (`b` absent means 1).
/// Requires `a < b` and no trailing zero digits.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    if let Some(b) = b {
        // Skip the common prefix, padding `a` with zeros.
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(b'0') == b[n] {
            n += 1;
        }
        if n > 0 {
            let mut out = b[..n].to_vec();
            out.extend(midpoint(a.get(n..).unwrap_or(&[]), Some(&b[n..])));
            return out;
        }
    }
    let da = a.first().and_then(|&c| digit(c)).unwrap_or(0);
    let db = b
        .and_then(|b| b.first())
        .and_then(|&c| digit(c))
        .unwrap_or(DIGITS.len());
    if db - da > 1 {
        vec![DIGITS[(da + db).div_ceil(2)]]
    } else if let Some(b) = b.filter(|b| b.len() > 1) {
        vec![b[0]]
    } else {
        let mut out = vec![DIGITS[da]];
        out.extend(midpoint(a.get(1..).unwrap_or(&[]), None));
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_between_their_neighbours() {
        let first = between(None, None).unwrap();
        let mut keys = vec![first.clone()];
        let mut lo = first.clone();
        // Insert repeatedly right after the first key, and at both ends.
        for _ in 0..200 {
            let next = keys.iter().find(|k| **k > lo).cloned();
            let k = between(Some(&lo), next.as_deref()).unwrap();
            assert!(
                k > lo && next.as_ref().is_none_or(|n| k < *n),
                "{lo} {k} {next:?}"
            );
            keys.push(k.clone());
            keys.sort();
            lo = first.clone();
        }
        let start = between(None, Some(&keys[0])).unwrap();
        assert!(start < keys[0]);
        let end = between(keys.last().map(String::as_str), None).unwrap();
        assert!(end > *keys.last().unwrap());
    }

    #[test]
    fn bad_keys_are_errors() {
        assert!(between(Some("b"), Some("a")).is_err());
        assert!(between(Some("a0"), None).is_err());
        assert!(between(Some("a!"), None).is_err());
    }
}
