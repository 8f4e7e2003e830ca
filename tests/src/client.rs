//! A minimal device client for tests: the core engine in `Role::Device` over tokio-tungstenite,
//! with documents kept in memory. One connection, no reconnect (the full device client with
//! backoff comes later); a test that needs to reconnect makes a new client.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use automerge::transaction::Transaction;
use automerge::{Automerge, ChangeHash};
use enlace_core::ids::{DocumentId, PeerId, StorageId};
use enlace_core::sync::storage::{self, EngineStorage, Write};
use enlace_core::sync::{
    AllowAll, ConnectionId, Direction, Effect, Engine, EngineConfig, Event, LoadedDocument, Role,
    StorageFailure, Timestamp,
};
use enlace_core::wire::{DecodeLimits, decode, encode};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::TimedOut;

/// The one connection of a test client.
const CONN: ConnectionId = ConnectionId(1);

/// What a test can see of a client, republished after every event.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Per document: our durable heads, and the heads the server last told us it holds (the
    /// server only announces durable heads, so these are acknowledgements).
    pub docs: HashMap<DocumentId, DocView>,
    /// Documents the server said it does not have.
    pub unavailable: HashSet<DocumentId>,
    /// Documents whose changes the server refused: its code and message.
    pub refused: HashMap<DocumentId, (String, String)>,
    /// Set once the socket is closed: the close code, if the server sent one.
    pub closed: Option<Option<u16>>,
    /// Every ephemeral message received, in arrival order.
    pub ephemeral: Vec<ReceivedEphemeral>,
}

/// An ephemeral (presence) message another peer sent about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEphemeral {
    /// The document it is about.
    pub doc: DocumentId,
    /// The peer that sent it (kept when the server relays it).
    pub sender: PeerId,
    /// The application's payload.
    pub data: Vec<u8>,
}

/// One document as a client sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocView {
    /// Heads of our stored copy.
    pub local: Vec<ChangeHash>,
    /// Heads the server acknowledged, if it has said anything yet.
    pub server: Option<Vec<ChangeHash>>,
}

impl View {
    /// Whether the server has acknowledged everything we hold of `doc`.
    pub fn in_sync(&self, doc: &DocumentId) -> bool {
        self.docs.get(doc).is_some_and(|d| {
            !d.local.is_empty()
                && d.server
                    .as_ref()
                    .is_some_and(|s| sorted(s) == sorted(&d.local))
        })
    }

    /// Whether an ephemeral message about `doc` carrying exactly `data` has arrived.
    pub fn heard(&self, doc: &DocumentId, data: &[u8]) -> bool {
        self.ephemeral
            .iter()
            .any(|e| e.doc == *doc && e.data == data)
    }

    /// Our heads of `doc` (empty if we hold nothing).
    pub fn heads(&self, doc: &DocumentId) -> Vec<ChangeHash> {
        self.docs
            .get(doc)
            .map(|d| sorted(&d.local))
            .unwrap_or_default()
    }
}

fn sorted(heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut h = heads.to_vec();
    h.sort();
    h
}

type Edit = Box<dyn FnOnce(&mut Transaction<'_>) + Send>;
type Reader = Box<dyn FnOnce(Option<&Automerge>) + Send>;

enum Command {
    Create(Edit, oneshot::Sender<DocumentId>),
    Adopt(DocumentId, Box<Automerge>, oneshot::Sender<()>),
    Change(DocumentId, Edit, oneshot::Sender<Vec<ChangeHash>>),
    Subscribe(DocumentId),
    Broadcast(DocumentId, Vec<u8>),
    Read(DocumentId, Reader),
    Close(oneshot::Sender<()>),
}

/// A connected test client. Dropping it aborts its task (the socket closes abruptly).
#[derive(Debug)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    view: watch::Receiver<View>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The client could not connect.
#[derive(Debug, thiserror::Error)]
#[error("connecting to {url}")]
pub struct ConnectError {
    url: String,
    #[source]
    source: tungstenite::Error,
}

impl ConnectError {
    /// The HTTP status the server answered the upgrade with, if it answered with something other
    /// than `101 Switching Protocols` (a `401` or `429` from authentication, say); `None` if the
    /// connection failed before or without an HTTP answer.
    pub fn http_status(&self) -> Option<u16> {
        match &self.source {
            tungstenite::Error::Http(response) => Some(response.status().as_u16()),
            _ => None,
        }
    }
}

/// The websocket upgrade request for `url`, with `Authorization: Bearer <token>` if `bearer` is
/// given. Shared by [`Client`] and the raw sockets so both authenticate the same way.
pub(crate) fn upgrade_request(
    url: &str,
    bearer: Option<&str>,
) -> Result<tungstenite::handshake::client::Request, tungstenite::Error> {
    use tungstenite::client::IntoClientRequest;
    use tungstenite::http::{HeaderValue, header::AUTHORIZATION};
    let mut request = url.into_client_request()?;
    if let Some(token) = bearer {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(tungstenite::http::Error::from)?;
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    Ok(request)
}

/// Opens a websocket to `url`, authenticated with `bearer` if given.
pub(crate) async fn open_socket(url: &str, bearer: Option<&str>) -> Result<Socket, ConnectError> {
    let failed = |source| ConnectError {
        url: url.to_owned(),
        source,
    };
    let request = upgrade_request(url, bearer).map_err(failed)?;
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(failed)?;
    Ok(socket)
}

impl Client {
    /// Connects to `url` (`ws://.../v1/sync`) as peer `name` and completes the handshake in the
    /// background.
    pub async fn connect(url: &str, name: &str) -> Result<Client, ConnectError> {
        Ok(Self::start(open_socket(url, None).await?, name))
    }

    /// [`connect`](Self::connect) as the user of `token`: sends `Authorization: Bearer <token>`
    /// with the upgrade, as native clients of an authenticated server do. A refused upgrade is
    /// an error whose [`ConnectError::http_status`] says why (`401`, `429`).
    pub async fn connect_with_bearer(
        url: &str,
        name: &str,
        token: &str,
    ) -> Result<Client, ConnectError> {
        Ok(Self::start(open_socket(url, Some(token)).await?, name))
    }

    /// Runs the engine over an open socket as peer `name`.
    fn start(socket: Socket, name: &str) -> Client {
        let peer: PeerId = name
            .parse()
            .unwrap_or_else(|_| PeerId::from_static_unchecked("rust-client"));
        let config = EngineConfig::new(Role::Device, peer, Some(StorageId::new_random()));
        let engine = Engine::new(config, Box::new(AllowAll));
        let (commands, rx) = mpsc::unbounded_channel();
        let (view_tx, view) = watch::channel(View::default());
        let task = tokio::spawn(
            Actor {
                engine,
                docs: BTreeMap::new(),
                states: BTreeMap::new(),
                view: view_tx,
                epoch: Instant::now(),
                unavailable: HashSet::new(),
                refused: HashMap::new(),
                closed: None,
                ephemeral: Vec::new(),
            }
            .run(socket, rx),
        );
        Client {
            commands,
            view,
            task,
        }
    }

    /// Creates a document, makes `edit` its first change, and syncs it.
    pub async fn create(
        &self,
        edit: impl FnOnce(&mut Transaction<'_>) + Send + 'static,
    ) -> DocumentId {
        let (tx, rx) = oneshot::channel();
        let _ = self.commands.send(Command::Create(Box::new(edit), tx));
        rx.await.expect("client task ended")
    }

    /// Holds `doc` as our copy of document `id` and syncs it, as if it had been stored here all
    /// along: how a test carries a client's documents over to a new connection (this client
    /// itself never reconnects).
    pub async fn adopt(&self, id: DocumentId, doc: Automerge) {
        let (tx, rx) = oneshot::channel();
        let _ = self.commands.send(Command::Adopt(id, Box::new(doc), tx));
        rx.await.expect("client task ended")
    }

    /// Applies `edit` to a document we hold and syncs it; returns our new heads.
    pub async fn change(
        &self,
        doc: DocumentId,
        edit: impl FnOnce(&mut Transaction<'_>) + Send + 'static,
    ) -> Vec<ChangeHash> {
        let (tx, rx) = oneshot::channel();
        let _ = self.commands.send(Command::Change(doc, Box::new(edit), tx));
        rx.await.expect("client task ended")
    }

    /// Asks the server for a document and keeps it in sync.
    pub fn subscribe(&self, doc: DocumentId) {
        let _ = self.commands.send(Command::Subscribe(doc));
    }

    /// Sends an ephemeral (presence) payload about `doc` to the other peers on it.
    pub fn broadcast(&self, doc: DocumentId, data: Vec<u8>) {
        let _ = self.commands.send(Command::Broadcast(doc, data));
    }

    /// Reads our stored copy of a document.
    pub async fn read<R: Send + 'static>(
        &self,
        doc: DocumentId,
        f: impl FnOnce(Option<&Automerge>) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = oneshot::channel();
        let reader: Reader = Box::new(move |d| {
            let _ = tx.send(f(d));
        });
        let _ = self.commands.send(Command::Read(doc, reader));
        rx.await.expect("client task ended")
    }

    /// A receiver of every view the client publishes (after each event).
    pub fn views(&self) -> watch::Receiver<View> {
        self.view.clone()
    }

    /// The current view.
    pub fn view(&self) -> View {
        self.view.borrow().clone()
    }

    /// Waits until `condition` holds of the view, at most `patience`.
    pub async fn wait_for(
        &self,
        what: &'static str,
        patience: Duration,
        condition: impl Fn(&View) -> bool,
    ) -> Result<View, TimedOut> {
        let mut rx = self.view.clone();
        match tokio::time::timeout(patience, rx.wait_for(|v| condition(v))).await {
            Ok(Ok(v)) => Ok(v.clone()),
            // The task ended: the view is final.
            Ok(Err(_)) if condition(&self.view.borrow()) => Ok(self.view.borrow().clone()),
            _ => Err(TimedOut(patience, what)),
        }
    }

    /// Waits until `condition` holds of our stored copy of `doc`, at most `patience`.
    pub async fn wait_content(
        &self,
        doc: DocumentId,
        what: &'static str,
        patience: Duration,
        condition: impl Fn(&Automerge) -> bool + Clone + Send + 'static,
    ) -> Result<(), TimedOut> {
        let mut changes = self.view.clone();
        let check = async {
            loop {
                let condition = condition.clone();
                if self.read(doc, move |d| d.is_some_and(condition)).await {
                    return;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(patience, check)
            .await
            .map_err(|_| TimedOut(patience, what))
    }

    /// Closes the socket cleanly and waits for the task to end.
    pub async fn close(self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

struct Actor {
    engine: Engine,
    /// Our "disk": durable copies of documents.
    docs: BTreeMap<DocumentId, Automerge>,
    states: BTreeMap<(DocumentId, StorageId), Vec<u8>>,
    view: watch::Sender<View>,
    epoch: Instant,
    unavailable: HashSet<DocumentId>,
    refused: HashMap<DocumentId, (String, String)>,
    closed: Option<Option<u16>>,
    ephemeral: Vec<ReceivedEphemeral>,
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Actor {
    async fn run(mut self, socket: Socket, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (mut sink, mut stream) = socket.split();
        let mut outbox: VecDeque<WsMessage> = VecDeque::new();
        self.handle(
            Event::ConnectionOpened {
                conn: CONN,
                direction: Direction::Outgoing,
            },
            &mut outbox,
        );
        loop {
            while let Some(frame) = outbox.pop_front() {
                let is_close = matches!(frame, WsMessage::Close(_));
                if sink.send(frame).await.is_err() || is_close {
                    self.closed.get_or_insert(None);
                }
            }
            self.publish();
            if self.closed.is_some() {
                // Keep answering reads after the socket is gone.
                while let Some(command) = commands.recv().await {
                    self.command(command, &mut outbox);
                    outbox.clear();
                }
                return;
            }
            let deadline = self.engine.poll_timeout().map(|t| {
                tokio::time::Instant::from_std(self.epoch + Duration::from_millis(t.as_millis()))
            });
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Close(done)) => {
                        let _ = sink.send(WsMessage::Close(None)).await;
                        let _ = sink.close().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command, &mut outbox),
                    None => return,
                },
                frame = stream.next() => match frame {
                    Some(Ok(WsMessage::Binary(bytes))) => match decode(&bytes, &DecodeLimits::default()) {
                        Ok(message) => self.handle(Event::MessageReceived { conn: CONN, message }, &mut outbox),
                        Err(error) => tracing::warn!(%error, "test client got an undecodable frame"),
                    },
                    Some(Ok(WsMessage::Close(frame))) => {
                        self.closed = Some(frame.map(|f| u16::from(f.code)));
                        self.handle(Event::ConnectionClosed { conn: CONN }, &mut outbox);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        self.closed.get_or_insert(None);
                        self.handle(Event::ConnectionClosed { conn: CONN }, &mut outbox);
                    }
                },
                () = sleep_until(deadline) => self.handle(Event::Tick, &mut outbox),
            }
        }
    }

    fn command(&mut self, command: Command, outbox: &mut VecDeque<WsMessage>) {
        match command {
            Command::Create(edit, reply) => {
                let id = DocumentId::new_random();
                let mut doc = Automerge::new();
                let mut tx = doc.transaction();
                edit(&mut tx);
                tx.commit();
                self.docs.insert(id, doc);
                self.handle(Event::Subscribe { doc: id }, outbox);
                // Publish before replying, so a caller's next look at the view includes it.
                self.publish();
                let _ = reply.send(id);
            }
            Command::Adopt(id, doc, reply) => {
                self.docs.insert(id, *doc);
                self.handle(Event::Subscribe { doc: id }, outbox);
                self.publish();
                let _ = reply.send(());
            }
            Command::Change(id, edit, reply) => {
                let Some(doc) = self.docs.get_mut(&id) else {
                    let _ = reply.send(Vec::new());
                    return;
                };
                let before = doc.get_heads();
                let mut tx = doc.transaction();
                edit(&mut tx);
                tx.commit();
                let changes = doc.save_after(&before);
                let heads = doc.get_heads();
                self.handle(Event::LocalChange { doc: id, changes }, outbox);
                self.publish();
                let _ = reply.send(heads);
            }
            Command::Subscribe(id) => self.handle(Event::Subscribe { doc: id }, outbox),
            Command::Broadcast(doc, data) => {
                self.handle(Event::SendEphemeral { doc, data }, outbox)
            }
            Command::Read(id, reader) => reader(self.docs.get(&id)),
            Command::Close(done) => {
                let _ = done.send(());
            }
        }
    }

    fn handle(&mut self, event: Event, outbox: &mut VecDeque<WsMessage>) {
        let mut events = VecDeque::from([event]);
        while let Some(event) = events.pop_front() {
            let now =
                Timestamp(u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX));
            for effect in self.engine.handle(now, event) {
                match effect {
                    Effect::Send { message, .. } => {
                        outbox.push_back(WsMessage::Binary(encode(&message).into()))
                    }
                    Effect::Close { .. } => outbox.push_back(WsMessage::Close(None)),
                    Effect::Storage(op) => {
                        let mut storage = ActorStorage {
                            docs: &mut self.docs,
                            states: &mut self.states,
                        };
                        events.extend(storage::execute(&mut storage, vec![op]));
                    }
                    Effect::DocumentUnavailable { doc } => {
                        self.unavailable.insert(doc);
                    }
                    Effect::DocumentRefused { doc, code, message } => {
                        self.refused.insert(doc, (code, message));
                    }
                    Effect::EphemeralReceived { doc, sender, data } => {
                        self.ephemeral.push(ReceivedEphemeral { doc, sender, data });
                    }
                    // This small test client runs per-document sync only.
                    Effect::DocumentChanged { .. }
                    | Effect::ChangesReceived { .. }
                    | Effect::ChangesRefused { .. }
                    | Effect::ChangesRepaired { .. } => {}
                }
            }
        }
    }

    fn publish(&self) {
        let mut view = View {
            unavailable: self.unavailable.clone(),
            refused: self.refused.clone(),
            closed: self.closed,
            ephemeral: self.ephemeral.clone(),
            ..View::default()
        };
        let ids: HashSet<DocumentId> = self
            .docs
            .keys()
            .copied()
            .chain(self.engine.subscriptions().copied())
            .collect();
        for id in ids {
            view.docs.insert(
                id,
                DocView {
                    local: self
                        .docs
                        .get(&id)
                        .map(Automerge::get_heads)
                        .unwrap_or_default(),
                    server: self.engine.peer_heads(&id, CONN),
                },
            );
        }
        self.view.send_replace(view);
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The test client's memory as the engine's storage.
struct ActorStorage<'a> {
    docs: &'a mut BTreeMap<DocumentId, Automerge>,
    states: &'a mut BTreeMap<(DocumentId, StorageId), Vec<u8>>,
}

impl EngineStorage for ActorStorage<'_> {
    fn load(&mut self, doc: DocumentId) -> Result<LoadedDocument, StorageFailure> {
        Ok(LoadedDocument {
            data: self.docs.get(&doc).map(Automerge::save),
            sync_states: self
                .states
                .iter()
                .filter(|((d, _), _)| *d == doc)
                .map(|((_, s), v)| (s.clone(), v.clone()))
                .collect(),
        })
    }

    fn write(
        &mut self,
        writes: &[Write<'_>],
    ) -> Result<Vec<Result<(), StorageFailure>>, StorageFailure> {
        Ok(writes
            .iter()
            .map(|write| match write {
                Write::Persist(request) => self
                    .docs
                    .entry(request.doc)
                    .or_default()
                    .load_incremental(&request.changes)
                    .map(|_| ())
                    .map_err(StorageFailure::new),
                Write::SyncState(state) => {
                    self.states
                        .insert((state.doc, state.storage_id.clone()), state.state.clone());
                    Ok(())
                }
            })
            .collect())
    }
}
