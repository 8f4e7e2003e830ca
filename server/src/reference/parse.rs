//! A whole CSV file, parsed and checked line by line without a database: either every row, or
//! every bad line with its 1-based line number and why. Nothing is written from a file with a
//! bad line, so the answer lists all of them at once, for one round of fixes.

use std::collections::HashMap;

use serde::Serialize;

use super::kind::ReferenceKind;
use super::rows::{self, Row};

/// Largest file accepted: 64 MiB (100,000 assortment rows are about 6 MiB).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Most rows one file holds.
pub const MAX_ROWS: usize = 500_000;
/// Most bad lines listed in one answer; past it the answer says how many more there were.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// A bad line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number in the file (line 1 is the header).
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// Bad lines, at most [`MAX_LISTED_ERRORS`] of them, in line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineErrors {
    /// The bad lines.
    pub errors: Vec<LineError>,
    /// How many more bad lines there were beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl LineErrors {
    /// One bad line.
    pub fn one(line: u64, reason: impl Into<String>) -> Self {
        let mut errors = LineErrors::default();
        errors.push(line, reason);
        errors
    }

    /// Adds a bad line.
    pub fn push(&mut self, line: u64, reason: impl Into<String>) {
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(LineError {
                line,
                reason: reason.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Parses `text` as a file of `kind`: its rows with their line numbers, or every bad line.
pub(crate) fn parse(kind: ReferenceKind, text: &[u8]) -> Result<Vec<(u64, Row)>, LineErrors> {
    if text.len() > MAX_FILE_BYTES {
        return Err(LineErrors::one(
            1,
            format!("the file is larger than {MAX_FILE_BYTES} bytes: split it"),
        ));
    }
    // A BOM (spreadsheets write one) is not part of the first header name.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut records = reader.byte_records();
    let expected = kind.header();
    match records.next() {
        None => return Err(LineErrors::one(1, "the file is empty: it needs a header")),
        Some(Err(e)) => return Err(LineErrors::one(1, format!("unreadable: {e}"))),
        Some(Ok(header)) => {
            let found: Vec<String> = header
                .iter()
                .map(|f| String::from_utf8_lossy(f).to_lowercase())
                .collect();
            if found != expected {
                return Err(LineErrors::one(
                    1,
                    format!("the header must be exactly {}", expected.join(",")),
                ));
            }
        }
    }
    // Line numbers come from byte offsets: the reader's own line count skips blank lines.
    let mut lines = LineCounter::new(text);
    let mut rows = Vec::new();
    let mut errors = LineErrors::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                errors.push(line, format!("unreadable: {e}"));
                // A broken quote swallows the rest: what follows cannot be trusted.
                break;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        if rows.len() + errors.errors.len() >= MAX_ROWS {
            errors.push(line, format!("more than {MAX_ROWS} rows: split the file"));
            break;
        }
        if record.len() != expected.len() {
            errors.push(
                line,
                format!("{} fields, the header has {}", record.len(), expected.len()),
            );
            continue;
        }
        let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(fields) = fields else {
            errors.push(line, "not UTF-8: save the file as UTF-8");
            continue;
        };
        match rows::parse(kind, &fields) {
            Ok(row) => match seen.insert(row.key(), line) {
                Some(first) => errors.push(line, format!("repeats the row of line {first}")),
                None => rows.push((line, row)),
            },
            Err(reason) => errors.push(line, reason),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// 1-based line numbers of byte offsets, asked in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record the reader places at `offset` (not before the last one asked).
    fn at(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The reader's position of a record after blank lines is the first blank line's.
        while matches!(self.text.get(end), Some(b'\r' | b'\n')) {
            end += 1;
        }
        if end > self.offset {
            let newlines = self.text[self.offset..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = end;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_named() {
        let file = "gtin,name,brand,category,owner_account\n\
                    7801234567894,Galletas Ñandú 🦤,Acme,Galletas,acme\n\
                    123,Bad,,,\n\
                    7801234567894,Again,,,\n\
                    \n\
                    4006381333931,,x,y,\n\
                    4006381333931,too,many,fields,,\n";
        let errors = parse(ReferenceKind::Products, file.as_bytes()).expect_err("bad lines");
        let lines: Vec<u64> = errors.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 6, 7], "{errors:?}");
        assert!(errors.errors[1].reason.contains("line 2"));
    }

    #[test]
    fn a_good_file_with_a_bom_and_quotes() {
        let file = "\u{FEFF}code,name,chain,format,address,region,lat,lon,cluster\n\
                    J001,\"Jumbo, Costanera\",Jumbo,hiper,\"Av. Andrés Bello 2425\",RM,-33.41,-70.6,norte\n\
                    J002,Jumbo Viña,Jumbo,hiper,,Valparaíso,,,\n";
        let rows = parse(ReferenceKind::Stores, file.as_bytes()).expect("good");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3);
        let Row::Store(store) = &rows[0].1 else {
            panic!("a store")
        };
        assert_eq!(store.name, "Jumbo, Costanera");
        assert_eq!(store.geo, Some((-33.41, -70.6)));
    }

    #[test]
    fn the_header_is_exact() {
        let errors = parse(ReferenceKind::Contacts, b"account,id,name\n").expect_err("header");
        assert_eq!(errors.errors[0].line, 1);
    }
}
