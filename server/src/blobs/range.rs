//! `Range` and `If-None-Match` as a blob download reads them (RFC 9110), pure.

/// What a `Range` header asks of a blob of `total` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable range: the whole blob, `200`. A malformed header, another unit, or several
    /// ranges are answered so too, as RFC 9110 allows.
    Whole,
    /// One range, first and last byte inclusive, within the blob: `206`.
    Part(u64, u64),
    /// A range that starts past the end: `416`.
    Unsatisfiable,
}

/// Reads a `Range` header value against a blob of `total` bytes.
pub fn parse(value: Option<&str>, total: u64) -> RangeAsk {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(n) if total > 0 => RangeAsk::Part(total - n.min(total), total - 1),
            Some(_) => RangeAsk::Unsatisfiable,
            None => RangeAsk::Whole,
        },
        // `a-`: from a to the end.
        (false, true) => match number(first) {
            Some(a) if a < total => RangeAsk::Part(a, total - 1),
            Some(_) => RangeAsk::Unsatisfiable,
            None => RangeAsk::Whole,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => RangeAsk::Whole,
            (Some(a), Some(_)) if a >= total => RangeAsk::Unsatisfiable,
            (Some(a), Some(b)) => RangeAsk::Part(a, b.min(total - 1)),
            _ => RangeAsk::Whole,
        },
        (true, true) => RangeAsk::Whole,
    }
}

/// Whether an `If-None-Match` value names `etag` (or is `*`); weak tags compare weakly.
pub fn none_match(value: Option<&str>, etag: &str) -> bool {
    value.is_some_and(|v| {
        v.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(parse(None, 10), RangeAsk::Whole);
        assert_eq!(parse(Some("bytes=0-3"), 10), RangeAsk::Part(0, 3));
        assert_eq!(parse(Some("bytes=5-"), 10), RangeAsk::Part(5, 9));
        assert_eq!(parse(Some("bytes=-4"), 10), RangeAsk::Part(6, 9));
        assert_eq!(parse(Some("bytes=-40"), 10), RangeAsk::Part(0, 9));
        assert_eq!(parse(Some("bytes=8-100"), 10), RangeAsk::Part(8, 9));
        assert_eq!(parse(Some("bytes=10-"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse(Some("bytes=10-20"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-1,4-5"), 10), RangeAsk::Whole);
        assert_eq!(parse(Some("items=0-1"), 10), RangeAsk::Whole);
        assert_eq!(parse(Some("bytes=x-1"), 10), RangeAsk::Whole);
        assert_eq!(parse(Some("bytes=5-2"), 10), RangeAsk::Whole);
    }

    #[test]
    fn if_none_match_names_the_tag() {
        let tag = "\"abc\"";
        assert!(none_match(Some("\"abc\""), tag));
        assert!(none_match(Some("\"x\", W/\"abc\""), tag));
        assert!(none_match(Some("*"), tag));
        assert!(!none_match(Some("\"abd\""), tag));
        assert!(!none_match(None, tag));
    }
}
