//! Seeded fault schedules: the same seed always yields the same list of steps, so a failing
//! schedule can be replayed. (The real network's timing is not replayed: the steps are the same,
//! the interleaving of their messages may differ.)

use std::fmt;

/// How many replicas a schedule drives: [`DEVICES`] device clients with their own SQLite store,
/// then test [`Client`](crate::client::Client)s.
pub const REPLICAS: usize = 4;
/// Replicas `0..DEVICES` are devices (`SyncClient`s); the rest are test clients.
pub const DEVICES: usize = 2;
/// Keys of the shared map that replicas write concurrently (so writes conflict).
pub const SHARED_KEYS: u64 = 3;

pub use crate::rng::Prng;

/// One edit. Positions are drawn as raw numbers and reduced modulo the current length when
/// applied, since the length depends on what has arrived by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// `fz.k<key> = value`: every replica writes the same few keys, so writes conflict.
    Put { key: u64, value: i64 },
    /// Deletes `fz.k<key>` (concurrent with puts elsewhere).
    Delete { key: u64 },
    /// Inserts `value` into the shared list `fz.list`.
    ListInsert { at: u64, value: i64 },
    /// Removes an element of `fz.list`, if any.
    ListDelete { at: u64 },
    /// Splices the shared text `fz.text`: deletes up to `delete` characters, inserts `insert`.
    TextSplice {
        at: u64,
        delete: u64,
        insert: String,
    },
    /// Splices the visit's own `notes` (through the typed model on a device).
    Notes { at: u64, insert: String },
    /// Sets the visit's title, a last-writer-wins string (through the typed model on a device).
    Title { value: String },
    /// Adds to the counter `fz.count` (concurrent increments add up).
    Increment { by: i64 },
}

/// How the server is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGKILL: no flush, no goodbye.
    Kill9,
    /// SIGTERM: sockets closed with 1001, writes flushed.
    Graceful,
}

/// One step of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Replica `replica` edits document `doc` (the edit stays local until it can be synced).
    Edit {
        replica: usize,
        doc: usize,
        edit: Edit,
    },
    /// Replica `replica`'s connection stops forwarding both ways (nothing is closed).
    Partition { replica: usize },
    /// Forwarding resumes; what was held back flows.
    Heal { replica: usize },
    /// Replica `replica`'s connection is closed on both sides; the client must reconnect.
    Kill { replica: usize },
    /// The server process stops (it stays down until [`Step::StartServer`]).
    StopServer(Stop),
    /// The server starts again on the same data directory.
    StartServer,
    /// Lets the network run for a few milliseconds (a perturbation of timing, not a barrier).
    Pause { millis: u64 },
    /// Heals everything, waits until every replica and the server agree, and checks them.
    Settle,
}

/// A seeded schedule: the documents it uses and its steps.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Its seed.
    pub seed: u64,
    /// How many documents it edits.
    pub docs: usize,
    /// Its steps, in order. The run always ends with a final settle.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// The schedule of `seed`: 1 to 3 documents and 6 to 30 steps, mostly edits, with
    /// partitions, heals, connection kills, server restarts (both kinds) and checkpoints.
    pub fn generate(seed: u64) -> Schedule {
        let mut rng = Prng::new(seed);
        let docs = rng.index(3) + 1;
        let len = rng.between(6, 30);
        let mut partitioned = [false; REPLICAS];
        let mut server_down = false;
        let mut steps = Vec::new();
        for _ in 0..len {
            let roll = rng.below(100);
            let step = match roll {
                0..=54 => Step::Edit {
                    replica: rng.index(REPLICAS),
                    doc: rng.index(docs),
                    edit: edit(&mut rng),
                },
                55..=63 => {
                    let replica = rng.index(REPLICAS);
                    if partitioned[replica] {
                        Step::Heal { replica }
                    } else {
                        Step::Partition { replica }
                    }
                }
                64..=71 => match partitioned.iter().position(|p| *p) {
                    Some(replica) => Step::Heal { replica },
                    None => Step::Kill {
                        replica: rng.index(REPLICAS),
                    },
                },
                72..=79 => Step::Kill {
                    replica: rng.index(REPLICAS),
                },
                80..=84 if server_down => Step::StartServer,
                80..=82 => Step::StopServer(if rng.below(2) == 0 {
                    Stop::Kill9
                } else {
                    Stop::Graceful
                }),
                85..=95 => Step::Pause {
                    millis: rng.between(1, 25),
                },
                _ => Step::Settle,
            };
            match &step {
                Step::Partition { replica } => partitioned[*replica] = true,
                Step::Heal { replica } => partitioned[*replica] = false,
                Step::StopServer(_) => server_down = true,
                Step::StartServer => server_down = false,
                Step::Settle => {
                    partitioned = [false; REPLICAS];
                    server_down = false;
                }
                _ => {}
            }
            steps.push(step);
        }
        Schedule { seed, docs, steps }
    }
}

fn edit(rng: &mut Prng) -> Edit {
    const WORDS: [&str; 8] = ["uva", "vino", " ", "cosecha\n", "ok", "x", "Lote 7", "--"];
    // Titles the model accepts: a raw client could write any string, but a device edits through
    // the model, which refuses to store a visit whose title it would reject.
    const TITLES: [&str; 4] = ["Visita", "Cata Lote 7", "Cosecha", "Reunion de equipo"];
    let word = |rng: &mut Prng| WORDS[rng.index(WORDS.len())].to_owned();
    let value = |rng: &mut Prng| i64::try_from(rng.below(1000)).unwrap_or(0);
    match rng.below(8) {
        0 => Edit::Put {
            key: rng.below(SHARED_KEYS),
            value: value(rng),
        },
        1 => Edit::Delete {
            key: rng.below(SHARED_KEYS),
        },
        2 => Edit::ListInsert {
            at: rng.next_u64(),
            value: value(rng),
        },
        3 => Edit::ListDelete { at: rng.next_u64() },
        4 => Edit::TextSplice {
            at: rng.next_u64(),
            delete: rng.below(4),
            insert: word(rng),
        },
        5 => Edit::Notes {
            at: rng.next_u64(),
            insert: word(rng),
        },
        6 => Edit::Title {
            value: TITLES[rng.index(TITLES.len())].to_owned(),
        },
        _ => Edit::Increment {
            by: value(rng) - 500,
        },
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} ({} documents, {} replicas: {} devices then test clients)",
            self.seed, self.docs, REPLICAS, DEVICES
        )?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "  {i:>3}: {step:?}")?;
        }
        write!(f, "  end: Settle")
    }
}

/// What a batch of schedules did, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Schedules run.
    pub schedules: u64,
    /// Steps run (the final settles not counted).
    pub steps: u64,
    /// Edits.
    pub edits: u64,
    /// Partitions.
    pub partitions: u64,
    /// Connection kills.
    pub kills: u64,
    /// Server stops by SIGKILL.
    pub kill9s: u64,
    /// Server stops by SIGTERM.
    pub graceful_stops: u64,
    /// Checkpoints (mid-schedule settles plus the final one).
    pub settles: u64,
}

impl Tally {
    /// Counts the steps of `schedule`.
    pub fn of(schedule: &Schedule) -> Tally {
        let mut t = Tally {
            schedules: 1,
            steps: schedule.steps.len() as u64,
            settles: 1,
            ..Tally::default()
        };
        for step in &schedule.steps {
            match step {
                Step::Edit { .. } => t.edits += 1,
                Step::Partition { .. } => t.partitions += 1,
                Step::Kill { .. } => t.kills += 1,
                Step::StopServer(Stop::Kill9) => t.kill9s += 1,
                Step::StopServer(Stop::Graceful) => t.graceful_stops += 1,
                Step::Settle => t.settles += 1,
                Step::Heal { .. } | Step::StartServer | Step::Pause { .. } => {}
            }
        }
        t
    }

    /// Adds `other` to this tally.
    pub fn add(&mut self, other: &Tally) {
        self.schedules += other.schedules;
        self.steps += other.steps;
        self.edits += other.edits;
        self.partitions += other.partitions;
        self.kills += other.kills;
        self.kill9s += other.kill9s;
        self.graceful_stops += other.graceful_stops;
        self.settles += other.settles;
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "schedules={} steps={} edits={} partitions={} connection_kills={} \
             server_restarts={} (kill9={} graceful={}) settles={}",
            self.schedules,
            self.steps,
            self.edits,
            self.partitions,
            self.kills,
            self.kill9s + self.graceful_stops,
            self.kill9s,
            self.graceful_stops,
            self.settles
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_yields_the_same_schedule() {
        for seed in [0, 1, 42, u64::MAX] {
            assert_eq!(
                Schedule::generate(seed).steps,
                Schedule::generate(seed).steps
            );
        }
        assert_ne!(
            Schedule::generate(1).steps,
            Schedule::generate(2).steps,
            "different seeds should differ"
        );
    }

    #[test]
    fn schedules_draw_every_kind_of_fault() {
        let mut total = Tally::default();
        for seed in 0..200 {
            total.add(&Tally::of(&Schedule::generate(seed)));
        }
        assert!(total.partitions > 0 && total.kills > 0 && total.edits > 0);
        assert!(total.kill9s > 0 && total.graceful_stops > 0);
        assert!(total.settles > total.schedules);
    }
}
