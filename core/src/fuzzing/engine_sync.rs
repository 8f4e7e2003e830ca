//! Target `engine_sync`: a server engine fed arbitrary messages by two joined peers.
//!
//! The input is a list of records `[op][len: u16 LE][payload]` (see [`EngineInput`]). The low
//! three bits of `op` pick what happens, bit 3 which of the two peers does it:
//! 0. `payload` is a raw frame: decoded like the server does, delivered if it decodes;
//! 1. / 2. / 3. `payload` is the data of a `sync` / `request` / `ephemeral` message about the
//!    document storage holds;
//! 4. `payload` is the data of a `sync` message about a document storage does not have;
//! 5. time passes (`payload`'s first two bytes, in milliseconds) and timers fire;
//! 6. the peer reconnects (closes, opens, joins again);
//! 7. storage starts (or stops) failing loads and persists.
//!
//! The driver answers loads and persists at once, keeping persisted changes, like a server.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ROOT};

use crate::ids::{DocumentId, PeerId, StorageId};
use crate::sync::storage::{self, EngineStorage, Write};
use crate::sync::{
    AllowAll, ConnectionId, Direction, Effect, Engine, EngineConfig, Event, LoadedDocument, Role,
    StorageFailure, Timestamp,
};
use crate::wire::{DecodeError, DecodeLimits, Message, PROTOCOL_V1, PeerMetadata, decode, encode};

/// The document storage holds from the start.
pub fn held() -> DocumentId {
    DocumentId::from_bytes([1; 16])
}

/// A document storage has never heard of.
pub fn missing() -> DocumentId {
    DocumentId::from_bytes([2; 16])
}
/// The server's peer id.
pub const SERVER: &str = "server";
/// The two peers' ids.
pub const PEERS: [&str; 2] = ["phone-a", "phone-b"];

/// Most records one input may hold; the rest is ignored, so one input costs bounded time.
const MAX_STEPS: usize = 32;
/// Most effects one event may cause with two connections and two documents.
const MAX_EFFECTS_PER_EVENT: usize = 64;
/// Most rounds of answering storage effects before the engine must be quiet.
const MAX_ROUNDS: usize = 256;
/// Largest frame the engine may ask to send (the peer's default decode limit).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Builds an input for [`engine_sync`] (used by the seed generator).
#[derive(Debug, Default, Clone)]
pub struct EngineInput(Vec<u8>);

impl EngineInput {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one record; payloads beyond 64 KiB are cut.
    pub fn push(mut self, op: u8, peer: u8, payload: &[u8]) -> Self {
        let payload = &payload[..payload.len().min(usize::from(u16::MAX))];
        self.0.push(op | (peer & 1) << 3);
        // Cut to fit above.
        #[allow(clippy::cast_possible_truncation)]
        self.0.extend((payload.len() as u16).to_le_bytes());
        self.0.extend_from_slice(payload);
        self
    }

    /// The input's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Runs one input; panics if the engine panics or breaks a bound.
pub fn engine_sync(data: &[u8]) {
    let mut h = Harness::new();
    for peer in 0..2 {
        h.connect(peer);
    }
    let mut rest = data;
    for _ in 0..MAX_STEPS {
        let Some((op, payload, after)) = next_record(rest) else {
            break;
        };
        rest = after;
        h.step(op, payload);
    }
    // Let every timer fire, idle documents unload and the engine come to rest.
    h.storage.fails = false;
    h.advance(60_000);
    assert!(h.engine.connection_count() <= 2, "connections leaked");
    assert!(h.engine.loaded_documents() <= 2, "documents leaked");
}

fn next_record(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&op, rest) = input.split_first()?;
    let len = rest.get(..2)?;
    let len = usize::from(u16::from_le_bytes([len[0], len[1]])).min(rest.len() - 2);
    let (payload, after) = rest[2..].split_at(len);
    Some((op, payload, after))
}

/// The held document's saved bytes: fixed actor and time, so the same on every run.
pub fn held_document() -> &'static [u8] {
    static SAVED: OnceLock<Vec<u8>> = OnceLock::new();
    SAVED.get_or_init(|| {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(&[0xaa; 16][..]));
        doc.put(ROOT, "kind", "client_visit").expect("put");
        doc.put(ROOT, "client", "Supermercado Los Andes")
            .expect("put");
        doc.put(ROOT, "facings", 6).expect("put");
        doc.commit_with(CommitOptions::default().with_time(0));
        doc.save()
    })
}

struct Harness {
    engine: Engine,
    now: u64,
    /// Current connection of each peer, if open.
    conns: [Option<ConnectionId>; 2],
    next_conn: u64,
    /// What storage holds per document: a snapshot followed by persisted chunks.
    storage: FuzzStorage,
    ephemeral_count: u64,
}

impl Harness {
    fn new() -> Self {
        let mut config = EngineConfig::new(
            Role::Server,
            PeerId::from_static_unchecked(SERVER),
            Some(StorageId::from_static_unchecked("server-storage")),
        );
        config.max_documents_per_connection = 4;
        config.max_queued_per_document = 8;
        Harness {
            engine: Engine::new(config, Box::new(AllowAll)),
            now: 1,
            conns: [None, None],
            next_conn: 1,
            storage: FuzzStorage {
                stored: BTreeMap::from([(held(), held_document().to_vec())]),
                fails: false,
            },
            ephemeral_count: 0,
        }
    }

    fn connect(&mut self, peer: usize) {
        let conn = ConnectionId(self.next_conn);
        self.next_conn += 1;
        self.conns[peer] = Some(conn);
        self.handle(Event::ConnectionOpened {
            conn,
            direction: Direction::Incoming,
        });
        self.handle(Event::MessageReceived {
            conn,
            message: Message::Join {
                sender_id: PeerId::from_static_unchecked(PEERS[peer]),
                peer_metadata: PeerMetadata {
                    storage_id: Some(StorageId::from_static_unchecked(
                        ["storage-a", "storage-b"][peer],
                    )),
                    is_ephemeral: false,
                },
                supported_protocol_versions: Some(vec![PROTOCOL_V1.to_owned()]),
            },
        });
    }

    fn step(&mut self, op: u8, payload: &[u8]) {
        let peer = usize::from(op >> 3 & 1);
        if op & 7 == 6 {
            if let Some(conn) = self.conns[peer].take() {
                self.handle(Event::ConnectionClosed { conn });
            }
            self.connect(peer);
            return;
        }
        if op & 7 == 7 {
            self.storage.fails = !self.storage.fails;
            return;
        }
        if op & 7 == 5 {
            let ms = payload
                .get(..2)
                .map_or(10, |b| u64::from(u16::from_le_bytes([b[0], b[1]])));
            self.advance(ms);
            return;
        }
        // A peer the engine closed dials again, as a real client does.
        let conn = match self.conns[peer] {
            Some(conn) => conn,
            None => {
                self.connect(peer);
                let Some(conn) = self.conns[peer] else { return };
                conn
            }
        };
        let sender_id = PeerId::from_static_unchecked(PEERS[peer]);
        let target_id = PeerId::from_static_unchecked(SERVER);
        let data = payload.to_vec();
        let message = match op & 7 {
            0 => match decode(payload, &DecodeLimits::default()) {
                Ok(m) => m,
                // The server ignores unknown types and closes on anything else.
                Err(DecodeError::UnknownType(_)) => return,
                Err(_) => {
                    self.conns[peer] = None;
                    self.handle(Event::ConnectionClosed { conn });
                    return;
                }
            },
            1 => Message::Sync {
                sender_id,
                target_id,
                document_id: held(),
                data,
            },
            2 => Message::Request {
                sender_id,
                target_id,
                document_id: held(),
                data,
            },
            3 => {
                self.ephemeral_count += 1;
                Message::Ephemeral {
                    sender_id,
                    target_id,
                    document_id: held(),
                    data,
                    count: self.ephemeral_count,
                    session_id: format!("{}-session", PEERS[peer]),
                }
            }
            _ => Message::Sync {
                sender_id,
                target_id,
                document_id: missing(),
                data,
            },
        };
        self.handle(Event::MessageReceived { conn, message });
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.handle(Event::Tick);
    }

    /// Delivers `event`, then answers storage effects until the engine asks for nothing more.
    fn handle(&mut self, event: Event) {
        let mut pending = vec![event];
        for _ in 0..MAX_ROUNDS {
            let Some(event) = pending.pop() else {
                return;
            };
            self.now += 1;
            let effects = self.engine.handle(Timestamp(self.now), event);
            assert!(
                effects.len() <= MAX_EFFECTS_PER_EVENT,
                "{} effects from one event",
                effects.len()
            );
            for effect in effects {
                pending.extend(self.answer(effect));
            }
        }
        panic!("the engine never comes to rest");
    }

    fn answer(&mut self, effect: Effect) -> Vec<Event> {
        match effect {
            Effect::Storage(op) => storage::execute(&mut self.storage, vec![op]),
            Effect::Send { conn, message } => {
                assert!(
                    self.conns.contains(&Some(conn)),
                    "a message for {conn}, which is not open"
                );
                assert!(encode(&message).len() <= MAX_FRAME, "an oversized frame");
                Vec::new()
            }
            Effect::Close { conn, .. } => {
                for slot in &mut self.conns {
                    if *slot == Some(conn) {
                        *slot = None;
                    }
                }
                vec![Event::ConnectionClosed { conn }]
            }
            _ => Vec::new(),
        }
    }
}

/// Storage that answers at once, keeping persisted changes, and fails loads and persists while
/// `fails` is set.
#[derive(Debug)]
struct FuzzStorage {
    stored: BTreeMap<DocumentId, Vec<u8>>,
    fails: bool,
}

/// The failure of storage told to fail.
#[derive(Debug, thiserror::Error)]
#[error("fuzz: storage is failing")]
struct Failing;

impl EngineStorage for FuzzStorage {
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure> {
        if self.fails {
            return Err(StorageFailure::new(Failing));
        }
        Ok(LoadedDocument {
            data: self.stored.get(&doc).cloned(),
            sync_states: Vec::new(),
        })
    }

    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure> {
        Ok(writes
            .iter()
            .map(|write| match write {
                Write::Persist(_) if self.fails => Err(StorageFailure::new(Failing)),
                Write::Persist(request) => {
                    self.stored
                        .entry(request.doc)
                        .or_default()
                        .extend_from_slice(&request.changes);
                    Ok(())
                }
                // Sync states are not kept: every reconnect starts from scratch.
                Write::SyncState(_) => Ok(()),
            })
            .collect())
    }
}
