//! Contact report numbers: `<ACCOUNT>-<YEAR>-<NNNN>`, consecutive per account and year, with no
//! gaps and no duplicates. The counter moves in the transaction that writes the number into the
//! report (SQLite serialises writers), so concurrent sends get distinct consecutive numbers
//! and a send that fails rolls its number back.

use rusqlite::{Transaction, params};

/// Takes the next number of `account` in `year`.
pub(crate) fn next(tx: &Transaction<'_>, account: &str, year: i32) -> rusqlite::Result<String> {
    let n: i64 = tx.query_row(
        "INSERT INTO report_numbers (account, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (account, year) DO UPDATE SET last = last + 1
         RETURNING last",
        params![account, year],
        |row| row.get(0),
    )?;
    Ok(format!("{}-{year}-{n:04}", account.to_uppercase()))
}

/// The UTC calendar year of an instant in milliseconds since the Unix epoch (proleptic
/// Gregorian, from the civil-from-days algorithm).
pub(crate) fn utc_year(ms: i64) -> i32 {
    let (year, _, _) = enlace_core::model::time::civil_from_days(ms.div_euclid(86_400_000));
    i32::try_from(year).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_of_known_instants() {
        // 2026-01-01T00:00:00Z and one millisecond before it.
        assert_eq!(utc_year(1_767_225_600_000), 2026);
        assert_eq!(utc_year(1_767_225_599_999), 2025);
        // 2024-02-29T12:00:00Z, a leap day.
        assert_eq!(utc_year(1_709_208_000_000), 2024);
        assert_eq!(utc_year(0), 1970);
        assert_eq!(utc_year(-1), 1969);
    }

    #[test]
    fn numbers_are_consecutive_per_account_and_year() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE report_numbers (account TEXT NOT NULL, year INTEGER NOT NULL,
             last INTEGER NOT NULL, PRIMARY KEY (account, year));",
        )
        .expect("schema");
        let mut take = |account: &str, year: i32| {
            let tx = conn.transaction().expect("tx");
            let n = next(&tx, account, year).expect("next");
            tx.commit().expect("commit");
            n
        };
        assert_eq!(take("acme", 2026), "ACME-2026-0001");
        assert_eq!(take("acme", 2026), "ACME-2026-0002");
        assert_eq!(take("vina-sur", 2026), "VINA-SUR-2026-0001");
        assert_eq!(take("acme", 2027), "ACME-2027-0001");
        assert_eq!(take("acme", 2026), "ACME-2026-0003");
    }

    #[test]
    fn a_rolled_back_send_gives_its_number_back() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE report_numbers (account TEXT NOT NULL, year INTEGER NOT NULL,
             last INTEGER NOT NULL, PRIMARY KEY (account, year));",
        )
        .expect("schema");
        {
            let tx = conn.transaction().expect("tx");
            assert_eq!(next(&tx, "acme", 2026).expect("next"), "ACME-2026-0001");
            // Dropped without commit: rolled back.
        }
        let tx = conn.transaction().expect("tx");
        assert_eq!(next(&tx, "acme", 2026).expect("next"), "ACME-2026-0001");
    }
}
