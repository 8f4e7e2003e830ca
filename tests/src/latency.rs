//! A healthy-client latency probe for exhaustion tests: a writer and a reader on one shared
//! document of an authenticated server; each probe edit is timed from the writer's change to the
//! reader holding it (through the server, fsync included).
//!
//! The figures are compared with a baseline taken on the same server just before an attack,
//! never with absolute numbers: a shared 2-core machine is too noisy for those.

use std::fmt;
use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use enlace_core::ids::DocumentId;

use crate::PATIENCE;
use crate::client::Client;

/// Two well-behaved phones of the fixture's `acme` team (`mate` writes, `jr` reads) syncing one
/// storecheck.
#[derive(Debug)]
pub struct Probe {
    writer: Client,
    reader: Client,
    doc: DocumentId,
    edits: u64,
}

/// Round trips of one run of the probe.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Every round trip, sorted.
    pub samples: Vec<Duration>,
}

impl Figures {
    fn quantile(&self, q: f64) -> Duration {
        let last = self.samples.len().saturating_sub(1);
        let index = ((last as f64) * q).round() as usize;
        self.samples.get(index).copied().unwrap_or_default()
    }

    /// The median.
    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// The most a round trip during an attack may take, given this baseline: five times the
    /// baseline p99, or the baseline p99 plus 200 ms, whichever is more (generous on purpose:
    /// the attacker shares the machine's two cores with the server).
    pub fn bound(&self) -> Duration {
        (self.p99() * 5).max(self.p99() + Duration::from_millis(200))
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} p50={:.1?} p99={:.1?} max={:.1?}",
            self.samples.len(),
            self.p50(),
            self.p99(),
            self.samples.last().copied().unwrap_or_default()
        )
    }
}

impl Probe {
    /// Connects the two phones to `url` with their tokens and shares a document between them.
    pub async fn start(url: &str, writer_token: &str, reader_token: &str) -> Probe {
        let writer = Client::connect_with_bearer(url, "probe-writer", writer_token)
            .await
            .expect("the probe's writer connects");
        let reader = Client::connect_with_bearer(url, "probe-reader", reader_token)
            .await
            .expect("the probe's reader connects");
        let doc = writer
            .create(|tx| {
                tx.put(ROOT, "kind", "storecheck").expect("put");
                tx.put(ROOT, "account_id", "acme").expect("put");
                tx.put(ROOT, "probe", 0).expect("put");
            })
            .await;
        writer
            .wait_for("the probe document stored", PATIENCE, |v| v.in_sync(&doc))
            .await
            .expect("the probe document is stored");
        reader.subscribe(doc);
        let heads = writer.view().heads(&doc);
        reader
            .wait_for("the reader to get the probe document", PATIENCE, |v| {
                v.heads(&doc) == heads
            })
            .await
            .expect("the reader gets the probe document");
        Probe {
            writer,
            reader,
            doc,
            edits: 0,
        }
    }

    /// Times `n` edits, one after another. Panics if one does not arrive within
    /// [`PATIENCE`](crate::PATIENCE), or if either phone's socket closed: every probe edit
    /// must arrive.
    pub async fn measure(&mut self, n: usize) -> Figures {
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            self.edits += 1;
            let value = self.edits;
            let started = Instant::now();
            let heads = self
                .writer
                .change(self.doc, move |tx| {
                    tx.put(ROOT, "probe", value).expect("put");
                })
                .await;
            let doc = self.doc;
            self.reader
                .wait_for("a probe edit to reach the reader", PATIENCE, |v| {
                    v.heads(&doc) == heads
                })
                .await
                .unwrap_or_else(|e| panic!("probe edit {value} never arrived: {e}"));
            samples.push(started.elapsed());
        }
        assert_eq!(
            self.writer.view().closed,
            None,
            "the probe's writer was cut"
        );
        assert_eq!(
            self.reader.view().closed,
            None,
            "the probe's reader was cut"
        );
        samples.sort();
        Figures { samples }
    }
}
