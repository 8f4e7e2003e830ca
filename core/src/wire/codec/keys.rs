//! The wire names of message types and fields, shared by the encoder and the decoder.

pub(crate) const TYPE: &str = "type";
pub(crate) const SENDER_ID: &str = "senderId";
pub(crate) const TARGET_ID: &str = "targetId";
pub(crate) const PEER_METADATA: &str = "peerMetadata";
pub(crate) const STORAGE_ID: &str = "storageId";
pub(crate) const IS_EPHEMERAL: &str = "isEphemeral";
pub(crate) const SUPPORTED_PROTOCOL_VERSIONS: &str = "supportedProtocolVersions";
pub(crate) const SELECTED_PROTOCOL_VERSION: &str = "selectedProtocolVersion";
pub(crate) const DOCUMENT_ID: &str = "documentId";
pub(crate) const DATA: &str = "data";
pub(crate) const COUNT: &str = "count";
pub(crate) const SESSION_ID: &str = "sessionId";
pub(crate) const ADD: &str = "add";
pub(crate) const REMOVE: &str = "remove";
pub(crate) const NEW_HEADS: &str = "newHeads";
pub(crate) const HEADS: &str = "heads";
pub(crate) const TIMESTAMP: &str = "timestamp";
pub(crate) const MESSAGE: &str = "message";

pub(crate) const T_JOIN: &str = "join";
pub(crate) const T_PEER: &str = "peer";
pub(crate) const T_SYNC: &str = "sync";
pub(crate) const T_REQUEST: &str = "request";
pub(crate) const T_DOC_UNAVAILABLE: &str = "doc-unavailable";
pub(crate) const T_EPHEMERAL: &str = "ephemeral";
pub(crate) const T_REMOTE_SUBSCRIPTION_CHANGE: &str = "remote-subscription-change";
pub(crate) const T_REMOTE_HEADS_CHANGED: &str = "remote-heads-changed";
pub(crate) const T_ERROR: &str = "error";
pub(crate) const T_LEAVE: &str = "leave";
pub(crate) const SINCE: &str = "since";
pub(crate) const LIMIT: &str = "limit";
pub(crate) const CHANGES: &str = "changes";
pub(crate) const CURSOR: &str = "cursor";
pub(crate) const MORE: &str = "more";
pub(crate) const T_CHANGES_REQUEST: &str = "enlace-changes-request";
pub(crate) const T_CHANGES: &str = "enlace-changes";
