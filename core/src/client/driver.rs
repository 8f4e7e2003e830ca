//! The client's background loop: connect, run a session, back off, reconnect. It owns the
//! engine and carries out its effects against the local store and the socket.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use automerge::ChangeHash;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::shared::{Refusal, Shared};
use super::{ClientConfig, ClientError, SyncMode, backoff};
use crate::ids::DocumentId;
use crate::model::listing_of;
use crate::store::{PendingCatchUp, Store, StoreError};
use crate::sync::{
    AllowAll, Announce, ConnectionId, Direction, Effect, Engine, EngineConfig, Event,
    LoadedDocument, Role, StorageFailure, Timestamp, catchup,
};
use crate::wire::{DecodeError, DecodeLimits, Message, decode, encode};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Socket, WsMessage>;

/// What the app asks of the loop.
#[derive(Debug)]
pub(super) enum Command {
    /// The app changed (or created) a document in the store.
    LocalChange(DocumentId),
    /// Keep a document in sync (fetch it if we lack it).
    Subscribe(DocumentId),
    /// Stop offering a document to the server (it was re-created under a new id).
    Unsubscribe(DocumentId),
    /// Stop for good.
    Stop,
}

/// How a session or a wait ended.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Reconnect,
    Stop,
}

pub(super) struct Driver {
    store: Arc<Store>,
    config: ClientConfig,
    shared: Arc<Shared>,
    engine: Engine,
    clock: StdInstant,
    next_conn: u64,
    limits: DecodeLimits,
}

impl Driver {
    pub(super) fn new(
        store: Arc<Store>,
        config: ClientConfig,
        shared: Arc<Shared>,
    ) -> Result<Self, ClientError> {
        let mut engine_config = EngineConfig::new(
            Role::Device,
            config.peer_id.clone(),
            Some(store.storage_id().clone()),
        );
        if config.mode == SyncMode::CatchUp {
            engine_config.announce = Announce::Nothing;
        }
        let engine = Engine::new(engine_config, Box::new(AllowAll));
        let limits = DecodeLimits {
            max_frame_bytes: config.max_frame_bytes,
            ..DecodeLimits::default()
        };
        let mut driver = Driver {
            store,
            config,
            shared,
            engine,
            clock: StdInstant::now(),
            next_conn: 0,
            limits,
        };
        // Per-document mode keeps every local document in sync on every connection; catch-up
        // mode decides after asking the server.
        if driver.config.mode == SyncMode::PerDocument {
            for doc in driver.store.document_ids()? {
                let effects = driver.engine.handle(driver.now(), Event::Subscribe { doc });
                driver.offline(effects);
            }
        }
        Ok(driver)
    }

    fn now(&self) -> Timestamp {
        Timestamp(u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Runs until stopped.
    pub(super) async fn run(mut self, mut commands: UnboundedReceiver<Command>) {
        let mut attempt: u32 = 0;
        loop {
            let config = self.config.clone();
            let connecting = connect(&config);
            tokio::pin!(connecting);
            let connected = loop {
                tokio::select! {
                    result = &mut connecting => break result,
                    command = commands.recv() => {
                        if self.command(command, None).await == Flow::Stop {
                            return;
                        }
                    }
                }
            };
            let mut refused = false;
            match connected {
                Ok(socket) => {
                    attempt = 0;
                    self.shared.set_unauthorized(false);
                    if self.session(socket, &mut commands).await == Flow::Stop {
                        return;
                    }
                }
                Err(ClientError::Unauthorized) => {
                    tracing::warn!(url = %self.config.url, "the server refused the token");
                    self.shared.set_unauthorized(true);
                    refused = true;
                }
                Err(e) => tracing::info!(error = %e, url = %self.config.url, "connecting failed"),
            }
            // A refused token will not get better by hammering: wait the longest pause (a
            // server also blocks addresses that keep failing).
            attempt = if refused {
                u32::MAX
            } else {
                attempt.saturating_add(1)
            };
            let wait = backoff::delay(
                attempt,
                self.config.backoff_initial,
                self.config.backoff_max,
                backoff::random_u64(),
            );
            tracing::debug!(?wait, attempt, "reconnecting after a pause");
            let pause = tokio::time::sleep(wait);
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    () = &mut pause => break,
                    command = commands.recv() => {
                        if self.command(command, None).await == Flow::Stop {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// One connection, from handshake to loss.
    async fn session(&mut self, socket: Socket, commands: &mut UnboundedReceiver<Command>) -> Flow {
        let (mut sink, mut stream): (Sink, SplitStream<Socket>) = socket.split();
        self.next_conn += 1;
        let conn = ConnectionId(self.next_conn);
        let effects = self.engine.handle(
            self.now(),
            Event::ConnectionOpened {
                conn,
                direction: Direction::Outgoing,
            },
        );
        let mut flow = match self.execute(effects, Some(&mut sink)).await {
            Ok(()) => None,
            Err(()) => Some(Flow::Reconnect),
        };
        self.shared.set_connected(true);
        let mut last_heard = StdInstant::now();
        let mut heartbeat = tokio::time::interval(self.config.heartbeat_interval);
        heartbeat.tick().await;
        let mut refresh = tokio::time::interval(self.config.cursor_refresh);
        refresh.tick().await;
        while flow.is_none() {
            let deadline = self.engine.poll_timeout().map_or_else(
                || tokio::time::Instant::now() + self.config.heartbeat_interval,
                |t| {
                    tokio::time::Instant::from_std(self.clock)
                        + std::time::Duration::from_millis(t.as_millis())
                },
            );
            tokio::select! {
                frame = stream.next() => {
                    last_heard = StdInstant::now();
                    match frame {
                        Some(Ok(WsMessage::Binary(bytes))) => {
                            self.shared.received(bytes.len());
                            let effects = self.receive(conn, &bytes);
                            if self.execute(effects, Some(&mut sink)).await.is_err() {
                                flow = Some(Flow::Reconnect);
                            }
                        }
                        Some(Ok(WsMessage::Close(frame))) => {
                            tracing::info!(?frame, "server closed the connection");
                            flow = Some(Flow::Reconnect);
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            tracing::info!(error = %e, "connection lost");
                            flow = Some(Flow::Reconnect);
                        }
                        None => flow = Some(Flow::Reconnect),
                    }
                }
                command = commands.recv() => {
                    if self.command(command, Some(&mut sink)).await == Flow::Stop {
                        let _closing = sink.close().await;
                        flow = Some(Flow::Stop);
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    let effects = self.engine.handle(self.now(), Event::Tick);
                    if self.execute(effects, Some(&mut sink)).await.is_err() {
                        flow = Some(Flow::Reconnect);
                    }
                }
                _ = refresh.tick(), if self.config.mode == SyncMode::CatchUp => {
                    let effects = self.request_changes();
                    if self.execute(effects, Some(&mut sink)).await.is_err() {
                        flow = Some(Flow::Reconnect);
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > self.config.heartbeat_timeout {
                        tracing::info!("server silent past the heartbeat timeout; reconnecting");
                        flow = Some(Flow::Reconnect);
                    } else if sink.send(WsMessage::Ping(Bytes::new())).await.is_err() {
                        flow = Some(Flow::Reconnect);
                    }
                }
            }
        }
        let effects = self
            .engine
            .handle(self.now(), Event::ConnectionClosed { conn });
        self.offline(effects);
        self.shared.set_connected(false);
        flow.unwrap_or(Flow::Reconnect)
    }

    /// Decodes a frame and hands it to the engine.
    fn receive(&mut self, conn: ConnectionId, bytes: &[u8]) -> Vec<Effect> {
        match decode(bytes, &self.limits) {
            Ok(message) => {
                let handshake_done = matches!(message, Message::Peer { .. });
                if let Message::Peer { peer_metadata, .. } = &message {
                    self.shared
                        .set_server_storage(peer_metadata.storage_id.clone());
                }
                let mut effects = self
                    .engine
                    .handle(self.now(), Event::MessageReceived { conn, message });
                if handshake_done && self.config.mode == SyncMode::CatchUp {
                    // Catch up once per connection, right after the handshake, and finish
                    // what an earlier catch-up left unsynced.
                    effects.extend(self.resume_pending());
                    effects.extend(self.request_changes());
                }
                effects
            }
            Err(DecodeError::UnknownType(kind)) => {
                tracing::debug!(kind, "ignoring a message type we do not know");
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "ignoring an undecodable frame from the server");
                Vec::new()
            }
        }
    }

    /// Asks the server what changed since the stored cursor.
    fn request_changes(&mut self) -> Vec<Effect> {
        match self.store.catch_up_cursor() {
            Ok(since) => self.engine.handle(
                self.now(),
                Event::RequestChanges {
                    since,
                    limit: catchup::DEFAULT_PAGE,
                },
            ),
            Err(e) => {
                tracing::error!(error = %e, "reading the catch-up cursor failed");
                Vec::new()
            }
        }
    }

    /// Syncs the documents earlier catch-ups said differ and this device still lacks changes of
    /// (see `Store::advance_catch_up`).
    fn resume_pending(&mut self) -> Vec<Effect> {
        let pending = match self.store.pending_catch_up() {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!(error = %e, "reading the documents left to catch up failed");
                return Vec::new();
            }
        };
        if !pending.is_empty() {
            tracing::debug!(count = pending.len(), "resuming an unfinished catch-up");
        }
        let mut effects = Vec::new();
        for entry in pending {
            effects.extend(
                self.engine
                    .handle(self.now(), Event::Subscribe { doc: entry.doc }),
            );
        }
        effects
    }

    /// Handles a catch-up page or a live notice: syncs the documents whose heads differ from
    /// ours, asks for the next page, and after the last one also syncs what changed here.
    fn on_changes(
        &mut self,
        changes: &[crate::wire::ChangedDocument],
        cursor: Option<u64>,
        more: bool,
    ) -> Vec<Effect> {
        let store = self.store.clone();
        let mut wanted = catchup::needing_sync(changes, |doc| store.heads(doc).ok().flatten());
        let pending: Vec<PendingCatchUp> = changes
            .iter()
            .filter(|change| wanted.contains(&change.document_id))
            .map(|change| PendingCatchUp {
                doc: change.document_id,
                heads: change
                    .heads
                    .iter()
                    .filter_map(|h| h.parse::<ChangeHash>().ok())
                    .collect(),
            })
            .collect();
        tracing::debug!(
            page = changes.len(),
            ?cursor,
            more,
            differing = wanted.len(),
            "catch-up page"
        );
        let mut effects = Vec::new();
        if let Some(cursor) = cursor {
            if more {
                effects.extend(self.engine.handle(
                    self.now(),
                    Event::RequestChanges {
                        since: cursor,
                        limit: catchup::DEFAULT_PAGE,
                    },
                ));
            } else {
                match self.locally_changed() {
                    Ok(local) => wanted.extend(local),
                    Err(e) => tracing::error!(error = %e, "listing local changes failed"),
                }
                self.shared.set_caught_up();
            }
        }
        if (cursor.is_some() || !pending.is_empty())
            && let Err(e) = self.store.advance_catch_up(cursor, &pending)
        {
            tracing::error!(error = %e, "storing the catch-up cursor failed");
        }
        if cursor.is_some() {
            self.shared.notify();
        }
        tracing::debug!(to_sync = wanted.len(), "syncing after catch-up");
        for doc in wanted {
            effects.extend(self.engine.handle(self.now(), Event::Subscribe { doc }));
        }
        effects
    }

    /// Documents with changes no server has acknowledged.
    fn locally_changed(&self) -> Result<Vec<DocumentId>, ClientError> {
        Ok(self.store.unacknowledged_documents()?)
    }

    async fn command(&mut self, command: Option<Command>, sink: Option<&mut Sink>) -> Flow {
        let events = match command {
            None | Some(Command::Stop) => return Flow::Stop,
            Some(Command::Subscribe(doc)) => vec![Event::Subscribe { doc }],
            Some(Command::Unsubscribe(doc)) => vec![Event::Unsubscribe { doc }],
            Some(Command::LocalChange(doc)) => {
                let mut events = Vec::new();
                let engine_heads = self.engine.document_heads(&doc);
                if engine_heads.is_some() && engine_heads == self.store.heads(doc).ok().flatten() {
                    // Our own merge of the server's changes: nothing new to send.
                    return Flow::Reconnect;
                }
                if let Some(heads) = engine_heads {
                    match self.store.load_raw(doc) {
                        Ok(Some(mut stored)) => events.push(Event::LocalChange {
                            doc,
                            changes: stored.save_after(&heads),
                        }),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(%doc, error = %e, "reading a local change failed")
                        }
                    }
                }
                events.push(Event::Subscribe { doc });
                events
            }
        };
        let mut effects = Vec::new();
        for event in events {
            effects.extend(self.engine.handle(self.now(), event));
        }
        match sink {
            Some(sink) => {
                if self.execute(effects, Some(sink)).await.is_err() {
                    return Flow::Reconnect;
                }
            }
            None => self.offline(effects),
        }
        Flow::Reconnect
    }

    /// Carries out effects when there is no socket (sends are impossible and cannot occur: the
    /// engine has no connection to send on).
    fn offline(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            if let Some(next) = self.local_effect(effect) {
                queue.extend(next);
            }
        }
    }

    /// Carries out effects; `Err` when the socket failed.
    async fn execute(
        &mut self,
        effects: Vec<Effect>,
        mut sink: Option<&mut Sink>,
    ) -> Result<(), ()> {
        let mut queue: VecDeque<Effect> = effects.into();
        let mut result = Ok(());
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Send { message, .. } => {
                    if let Some(sink) = sink.as_deref_mut() {
                        let encoded = encode(&message);
                        self.shared.sent(encoded.len());
                        let frame = WsMessage::Binary(Bytes::from(encoded));
                        if sink.feed(frame).await.is_err() {
                            result = Err(());
                        }
                    }
                }
                Effect::Close { reason, .. } => {
                    tracing::warn!(?reason, "the engine closed the connection");
                    result = Err(());
                }
                other => {
                    if let Some(next) = self.local_effect(other) {
                        queue.extend(next);
                    }
                }
            }
        }
        if let Some(sink) = sink
            && sink.flush().await.is_err()
        {
            result = Err(());
        }
        result
    }

    /// Effects that touch only the store and the app; returns the engine's follow-up effects.
    fn local_effect(&mut self, effect: Effect) -> Option<Vec<Effect>> {
        match effect {
            Effect::Load { doc } => {
                let result =
                    load_for_engine(&self.store, doc).map_err(|e| StorageFailure(e.to_string()));
                Some(
                    self.engine
                        .handle(self.now(), Event::Loaded { doc, result }),
                )
            }
            Effect::Persist {
                doc,
                ticket,
                changes,
                ..
            } => {
                let result = self
                    .store
                    .merge_changes_with(doc, &changes, listing_of)
                    .map(|_| ())
                    .map_err(|e| {
                        tracing::error!(%doc, error = %e, "storing changes from the server failed");
                        StorageFailure(e.to_string())
                    });
                Some(self.engine.handle(
                    self.now(),
                    Event::Persisted {
                        doc,
                        ticket,
                        result,
                    },
                ))
            }
            Effect::SaveSyncState {
                doc,
                storage_id,
                state,
            } => {
                if let Err(e) = self.store.save_sync_state(doc, &storage_id, &state) {
                    tracing::warn!(%doc, error = %e, "saving a sync state failed");
                }
                self.shared.notify();
                None
            }
            Effect::DocumentChanged { doc, .. } => {
                self.shared.changed(doc);
                None
            }
            Effect::DocumentUnavailable { doc } => {
                self.shared.unavailable(doc);
                None
            }
            Effect::DocumentRefused { doc, code, message } => {
                tracing::warn!(%doc, code = ?code, message = ?message, "the server refused this document's changes");
                self.shared.refused(doc, Refusal { code, message });
                None
            }
            Effect::EphemeralReceived { doc, .. } => {
                tracing::trace!(%doc, "ephemeral message");
                None
            }
            Effect::ChangesReceived {
                changes,
                cursor,
                more,
            } => Some(self.on_changes(&changes, cursor, more)),
            Effect::Send { .. }
            | Effect::Close { .. }
            | Effect::ChangesRequested { .. }
            | Effect::ChangesRefused { .. } => None,
        }
    }
}

/// Opens the websocket, with the bearer token on the upgrade.
async fn connect(config: &ClientConfig) -> Result<Socket, ClientError> {
    let mut request = config
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
    if let Some(token) = &config.token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ClientError::InvalidToken)?;
        request.headers_mut().insert("authorization", value);
    }
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_frame_bytes))
        .max_frame_size(Some(config.max_frame_bytes));
    let (socket, _response) =
        tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(response)
                    if response.status() == 401 =>
                {
                    ClientError::Unauthorized
                }
                other => ClientError::Connect(other.to_string()),
            })?;
    Ok(socket)
}

/// A document and its sync states as the engine's `Event::Loaded` wants them.
fn load_for_engine(store: &Store, doc: DocumentId) -> Result<LoadedDocument, StoreError> {
    Ok(LoadedDocument {
        data: store.load_raw(doc)?.map(|mut d| d.save()),
        sync_states: store.sync_states(doc)?,
    })
}
