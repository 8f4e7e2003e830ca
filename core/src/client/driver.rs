//! The client's background loop: connect, run a session, back off, reconnect. It owns the
//! engine and carries out its effects against the local store and the socket.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant as StdInstant;

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
use super::store_io::DeviceStorage;
use super::{ClientConfig, ClientError, SyncMode, random};
use crate::ids::DocumentId;
use crate::store::Store;
use crate::sync::device::{DeviceAction, DeviceInput, DevicePolicyConfig, DeviceSync};
use crate::sync::storage::{self, StorageOp};
use crate::sync::{
    AllowAll, Announce, ConnectionId, Direction, Effect, Engine, EngineConfig, Event, Role,
    Timestamp, catchup,
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
    /// When to reconnect and how to catch up (`sync::device`).
    policy: DeviceSync,
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
        let policy = DeviceSync::new(DevicePolicyConfig {
            catch_up: config.mode == SyncMode::CatchUp,
            page: catchup::DEFAULT_PAGE,
            refresh: config.cursor_refresh,
            backoff_initial: config.backoff_initial,
            backoff_max: config.backoff_max,
        });
        let mut driver = Driver {
            store,
            config,
            shared,
            engine,
            policy,
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
            let wait = match connected {
                Ok(socket) => {
                    self.tell_policy(DeviceInput::Connected);
                    if self.session(socket, &mut commands).await == Flow::Stop {
                        return;
                    }
                    self.tell_policy(DeviceInput::Disconnected)
                }
                Err(ClientError::Unauthorized) => {
                    tracing::warn!(url = %self.config.url, "the server refused the token");
                    self.tell_policy(DeviceInput::ConnectFailed { unauthorized: true })
                }
                Err(e) => {
                    tracing::info!(error = %e, url = %self.config.url, "connecting failed");
                    self.tell_policy(DeviceInput::ConnectFailed {
                        unauthorized: false,
                    })
                }
            }
            .unwrap_or(self.config.backoff_initial);
            tracing::debug!(?wait, "reconnecting after a pause");
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
        while flow.is_none() {
            let deadline = self.deadline(self.engine.poll_timeout());
            let refresh = self.deadline(self.policy.poll_timeout());
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
                () = tokio::time::sleep_until(refresh) => {
                    let effects = self.policy_effects(DeviceInput::Tick);
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
                if handshake_done {
                    effects.extend(self.policy_effects(DeviceInput::Handshake));
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

    /// The instant of an engine or policy timestamp; a heartbeat away when there is none (the
    /// loop wakes then anyway).
    fn deadline(&self, at: Option<Timestamp>) -> tokio::time::Instant {
        at.map_or_else(
            || tokio::time::Instant::now() + self.config.heartbeat_interval,
            |t| {
                tokio::time::Instant::from_std(self.clock)
                    + std::time::Duration::from_millis(t.as_millis())
            },
        )
    }

    /// Tells the reconnect and catch-up policy what happened and carries out what it asks; the
    /// pause before reconnecting, if it named one.
    fn tell_policy(&mut self, input: DeviceInput<'_>) -> Option<std::time::Duration> {
        let (effects, wait) = self.policy_step(input);
        self.offline(effects);
        wait
    }

    /// [`tell_policy`](Self::tell_policy) while connected: the engine's effects for the caller
    /// to carry out on the socket.
    fn policy_effects(&mut self, input: DeviceInput<'_>) -> Vec<Effect> {
        self.policy_step(input).0
    }

    fn policy_step(
        &mut self,
        input: DeviceInput<'_>,
    ) -> (Vec<Effect>, Option<std::time::Duration>) {
        let store = self.store.clone();
        let actions = self.policy.handle(
            self.now(),
            random::random_u64(),
            &mut DeviceStorage(&store),
            input,
        );
        let mut effects = Vec::new();
        let mut wait = None;
        for action in actions {
            match action {
                DeviceAction::Engine(event) => {
                    effects.extend(self.engine.handle(self.now(), event));
                }
                DeviceAction::ReconnectAfter(pause) => wait = Some(pause),
                DeviceAction::Unauthorized(refused) => self.shared.set_unauthorized(refused),
                DeviceAction::CaughtUp => self.shared.set_caught_up(),
                DeviceAction::CursorStored => self.shared.notify(),
            }
        }
        (effects, wait)
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
            Effect::Storage(op) => {
                let sync_state = matches!(op, StorageOp::SaveSyncState(_));
                let answers = storage::execute(&mut DeviceStorage(&self.store), vec![op]);
                if sync_state {
                    self.shared.notify();
                }
                let mut effects = Vec::new();
                for event in answers {
                    effects.extend(self.engine.handle(self.now(), event));
                }
                Some(effects)
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
            } => Some(self.policy_effects(DeviceInput::Changes {
                changes: &changes,
                cursor,
                more,
            })),
            Effect::Send { .. }
            | Effect::Close { .. }
            | Effect::ChangesRefused { .. }
            | Effect::ChangesRepaired { .. } => None,
        }
    }
}

/// Opens the websocket, with the bearer token on the upgrade.
async fn connect(config: &ClientConfig) -> Result<Socket, ClientError> {
    let mut request =
        config
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| ClientError::InvalidUrl {
                url: config.url.clone(),
                source: Box::new(e),
            })?;
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
                other => ClientError::Connect(Box::new(other)),
            })?;
    Ok(socket)
}
