//! The sweep: idle documents leave memory (their peers' sync states stay) and documents
//! nobody syncs are forgotten, so memory stays bounded by the configuration.

use super::Engine;
use crate::ids::DocumentId;
use crate::sync::Timestamp;
use crate::sync::document::Content;

impl Engine {
    /// Drops idle documents from memory and forgets documents nobody syncs.
    pub(super) fn sweep(&mut self) {
        let idle_after = self.config.idle_unload_after;
        let now = self.now;
        let mut loaded: Vec<(Timestamp, DocumentId)> = Vec::new();
        let mut forget = Vec::new();
        for (id, doc) in &mut self.docs {
            if doc.is_quiet() && now.since(doc.last_active) >= idle_after {
                doc.content = Content::Unloaded;
            }
            match doc.content {
                Content::Ready(_) => loaded.push((doc.last_active, *id)),
                Content::Unloaded
                    if doc.peers.is_empty()
                        && doc.waiters.is_empty()
                        && doc.timer.is_none()
                        && !self.subscriptions.contains(id) =>
                {
                    forget.push(*id)
                }
                _ => {}
            }
        }
        if loaded.len() > self.config.max_loaded_documents {
            loaded.sort();
            let excess = loaded.len() - self.config.max_loaded_documents;
            for (_, id) in loaded.into_iter().take(excess) {
                if let Some(doc) = self.docs.get_mut(&id)
                    && doc.is_quiet()
                {
                    doc.content = Content::Unloaded;
                }
            }
        }
        for id in forget {
            self.docs.remove(&id);
        }
    }
}
