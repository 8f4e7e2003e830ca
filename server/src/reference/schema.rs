//! The reference tables, in the directory database (one migration step of the directory's
//! runner, `directory::schema`): reference data belongs to an organisation and names its
//! accounts and users, so it lives beside them, under the same foreign keys and transactions.
//!
//! `catalog_dirty` is the projection's to-do list: an import writes the accounts it touched in
//! the same transaction as the rows, and the server clears an account only after its catalog
//! document was written. A crash between the two leaves the account listed, and the server
//! projects it again at start (projection is idempotent).

use rusqlite::Transaction;

/// Creates the reference tables.
pub(crate) fn create(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        CREATE TABLE ref_stores (
            org_id  TEXT NOT NULL REFERENCES organisations (id),
            code    TEXT NOT NULL,
            name    TEXT NOT NULL,
            chain   TEXT NOT NULL,
            format  TEXT NOT NULL,
            address TEXT NOT NULL,
            region  TEXT NOT NULL,
            lat     REAL,
            lon     REAL,
            -- '' for none.
            cluster TEXT NOT NULL,
            PRIMARY KEY (org_id, code)
        ) WITHOUT ROWID;
        CREATE INDEX ref_stores_cluster ON ref_stores (org_id, cluster);

        CREATE TABLE ref_products (
            org_id   TEXT NOT NULL REFERENCES organisations (id),
            gtin     TEXT NOT NULL,
            name     TEXT NOT NULL,
            brand    TEXT NOT NULL,
            category TEXT NOT NULL,
            -- The account whose own product it is; '' for none (a competitor's).
            owner_account TEXT NOT NULL,
            PRIMARY KEY (org_id, gtin)
        ) WITHOUT ROWID;
        CREATE INDEX ref_products_owner ON ref_products (org_id, owner_account);

        -- One row per (account, store or cluster, product): exactly one of store_code and
        -- cluster is non-empty. A store's own row overrides its cluster's.
        CREATE TABLE ref_assortments (
            org_id         TEXT NOT NULL,
            account_id     TEXT NOT NULL,
            store_code     TEXT NOT NULL,
            cluster        TEXT NOT NULL,
            gtin           TEXT NOT NULL,
            must_stock     INTEGER NOT NULL,
            target_facings INTEGER,
            -- Minor units of `currency`; both NULL when there is no target price.
            target_price   INTEGER,
            currency       TEXT,
            PRIMARY KEY (org_id, account_id, store_code, cluster, gtin),
            CHECK ((store_code = '') <> (cluster = '')),
            FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX ref_assortments_store ON ref_assortments (org_id, store_code);
        CREATE INDEX ref_assortments_cluster ON ref_assortments (org_id, cluster);
        CREATE INDEX ref_assortments_gtin ON ref_assortments (org_id, gtin);

        CREATE TABLE ref_contacts (
            org_id     TEXT NOT NULL,
            account_id TEXT NOT NULL,
            id         TEXT NOT NULL,
            name       TEXT NOT NULL,
            title      TEXT NOT NULL,
            email      TEXT NOT NULL,
            PRIMARY KEY (org_id, account_id, id),
            FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id)
        ) WITHOUT ROWID;

        CREATE TABLE ref_visit_plans (
            org_id      TEXT NOT NULL,
            account_id  TEXT NOT NULL,
            id          TEXT NOT NULL,
            user_id     TEXT NOT NULL,
            -- NULL for a visit to the client.
            store_code  TEXT,
            weekday     TEXT NOT NULL,
            every_weeks INTEGER NOT NULL,
            starts_on   TEXT NOT NULL,
            ends_on     TEXT,
            note        TEXT NOT NULL,
            PRIMARY KEY (org_id, account_id, id),
            FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id),
            FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX ref_visit_plans_store ON ref_visit_plans (org_id, store_code);

        -- Accounts whose catalog document must be written again. `generation` grows with every
        -- mark, so a projection clears only the mark it saw, never one made while it ran.
        CREATE TABLE catalog_dirty (
            org_id     TEXT NOT NULL,
            account_id TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (org_id, account_id)
        ) WITHOUT ROWID;
        ",
    )
}
