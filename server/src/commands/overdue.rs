//! Overdue contact reports: agencies send the report within 24 working hours of the meeting (on
//! the organisation's calendar). A report not sent by then is flagged: the server writes the
//! deadline it missed into `contact_report.overdue_since`, a server-only field every replica
//! shows. Checked when the report is sent (a late send is flagged with it) and by a periodic
//! pass over unsent meeting notes, which the silence watcher runs.
//!
//! The pass never scans documents blindly: `report_deadlines` remembers each meeting note's
//! deadline, so a note is loaded when it is new to the table, when its deadline has come, or
//! (while it names no meeting time) at most once per [`RECHECK_UNDATED_MS`]. At the deadline
//! the note is read again, so a meeting moved later is honoured. Internal meetings
//! (`internal_status`) have no client to report to and are never flagged.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use enlace_core::ids::DocumentId;
use enlace_core::model::meeting_note::{ContactReportStatus, MeetingKind};
use enlace_core::model::{DocumentKind, Instant, MeetingNote};
use enlace_core::store::{ListingRows, StoreError};
use rusqlite::{Connection, Transaction, params};

use super::{CommandError, Commands, log_row};
use crate::calendar::Calendar;
use crate::directory::OrgId;

/// Most notes read in one pass (the rest wait for the next).
const MAX_PER_PASS: usize = 200;
/// How long a note without a meeting time waits before it is read again.
const RECHECK_UNDATED_MS: i64 = 60 * 60 * 1000;

/// A note's row in `report_deadlines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracked {
    /// Not sent; due at `due_ms` (`None`: no meeting time yet), last read at `checked_ms`.
    Pending {
        due_ms: Option<i64>,
        checked_ms: i64,
    },
    /// Flagged, sent, internal or deleted: never read again.
    Settled,
}

/// The deadline of `note` on `calendar`: `hours` working hours after the meeting started.
/// `None` when it needs none (internal, deleted) or has no meeting time yet.
pub(super) fn deadline(note: &MeetingNote, calendar: &Calendar, hours: u32) -> Option<i64> {
    if note.deleted || note.meeting_kind == MeetingKind::InternalStatus {
        return None;
    }
    let started = note.started_at.as_ref()?;
    match calendar.add_working_hours(started.utc_ms, hours) {
        Ok(due) => Some(due),
        Err(e) => {
            tracing::warn!(doc = %note.id, error = %e, "no deadline for a contact report");
            None
        }
    }
}

/// Flags `note` overdue if it is not sent by `due_ms` and `now_ms` is past it; true if flagged.
pub(super) fn flag_if_late(
    note: &mut MeetingNote,
    due_ms: i64,
    now_ms: i64,
) -> Result<bool, CommandError> {
    let report = &mut note.contact_report;
    if now_ms <= due_ms || report.overdue_since.is_some() {
        return Ok(false);
    }
    let zone = note
        .started_at
        .as_ref()
        .map_or("UTC", |at| at.zone.as_str())
        .to_owned();
    report.overdue_since = Some(Instant::new(due_ms, &zone)?);
    Ok(true)
}

/// Records that `doc` needs no more checks (sent, flagged, or not a report to send).
pub(super) fn settle(
    tx: &Transaction<'_>,
    doc: DocumentId,
    now_ms: i64,
) -> Result<(), CommandError> {
    track(tx, doc, None, now_ms, "settled")
}

fn track(
    conn: &Connection,
    doc: DocumentId,
    due_ms: Option<i64>,
    now_ms: i64,
    state: &str,
) -> Result<(), CommandError> {
    conn.execute(
        "INSERT INTO report_deadlines (doc_id, due_ms, checked_ms, state) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc_id) DO UPDATE SET due_ms = excluded.due_ms,
             checked_ms = excluded.checked_ms, state = excluded.state",
        params![doc.as_bytes(), due_ms, now_ms, state],
    )
    .map_err(CommandError::Database)?;
    Ok(())
}

fn tracked(conn: &Connection) -> Result<HashMap<DocumentId, Tracked>, CommandError> {
    let mut stmt = conn
        .prepare("SELECT doc_id, due_ms, checked_ms, state FROM report_deadlines")
        .map_err(CommandError::Database)?;
    let rows = stmt
        .query_map([], |row| {
            let doc: Vec<u8> = row.get(0)?;
            let state: String = row.get(3)?;
            let tracked = if state == "pending" {
                Tracked::Pending {
                    due_ms: row.get(1)?,
                    checked_ms: row.get(2)?,
                }
            } else {
                Tracked::Settled
            };
            Ok((doc, tracked))
        })
        .map_err(CommandError::Database)?;
    let mut out = HashMap::new();
    for row in rows {
        let (doc, tracked) = row.map_err(CommandError::Database)?;
        if let Ok(bytes) = <[u8; 16]>::try_from(doc.as_slice()) {
            out.insert(DocumentId::from_bytes(bytes), tracked);
        }
    }
    Ok(out)
}

/// Whether a note in this state needs reading at `now_ms`.
fn due_for_reading(tracked: Option<&Tracked>, now_ms: i64) -> bool {
    match tracked {
        None => true,
        Some(Tracked::Settled) => false,
        Some(Tracked::Pending {
            due_ms: Some(due), ..
        }) => *due < now_ms,
        Some(Tracked::Pending {
            due_ms: None,
            checked_ms,
        }) => now_ms.saturating_sub(*checked_ms) >= RECHECK_UNDATED_MS,
    }
}

impl Commands {
    /// Flags every unsent contact report whose deadline (`hours` working hours after its
    /// meeting) passed by `now_ms`. Returns how many were flagged.
    pub(crate) async fn flag_overdue(
        &self,
        hours: u32,
        now_ms: i64,
    ) -> Result<usize, CommandError> {
        let tracked = tracked(&self.tables())?;
        let mut notes: Vec<(DocumentId, OrgId)> = self
            .access
            .documents_of_kind(DocumentKind::MeetingNote)
            .into_iter()
            .filter(|(doc, _)| due_for_reading(tracked.get(doc), now_ms))
            .collect();
        notes.sort_by_key(|(doc, _)| *doc.as_bytes());
        notes.truncate(MAX_PER_PASS);
        let mut calendars: HashMap<OrgId, Calendar> = HashMap::new();
        let mut flagged = 0;
        for (doc, org) in notes {
            let calendar = match calendars.entry(org.clone()) {
                Entry::Occupied(known) => known.into_mut().clone(),
                Entry::Vacant(slot) => slot.insert(self.calendar(&org)?).clone(),
            };
            // One note that fails (a busy database, a fan-out cut short) must not hold up the
            // notes after it: it is read again on the next pass.
            match self.check_deadline(doc, calendar, hours, now_ms).await {
                Ok(true) => flagged += 1,
                Ok(false) => {}
                Err(CommandError::Stopping) => return Err(CommandError::Stopping),
                Err(e) => tracing::warn!(
                    %doc,
                    error = &e as &dyn std::error::Error,
                    "checking a contact report's deadline failed; it is read again next pass"
                ),
            }
        }
        Ok(flagged)
    }

    /// Reads one note, flags it if it is late, and records where it stands.
    async fn check_deadline(
        &self,
        doc: DocumentId,
        calendar: Calendar,
        hours: u32,
        now_ms: i64,
    ) -> Result<bool, CommandError> {
        let (store, actor) = (self.store.clone(), self.actor.clone());
        let changed = tokio::task::spawn_blocking(move || {
            store.change_authoritatively(
                doc,
                &actor,
                ListingRows::Unindexed,
                |note: &mut MeetingNote, tx| {
                    if note.contact_report.status() >= ContactReportStatus::Sent
                        || note.contact_report.overdue_since.is_some()
                    {
                        settle(tx, doc, now_ms)?;
                        return Ok::<_, CommandError>(false);
                    }
                    let due = deadline(note, &calendar, hours);
                    let undated = note.started_at.is_none();
                    match due {
                        Some(due) if flag_if_late(note, due, now_ms)? => {
                            settle(tx, doc, now_ms)?;
                            log_row(tx, doc, "flag-overdue", "server", now_ms, "")?;
                            Ok(true)
                        }
                        Some(due) => track(tx, doc, Some(due), now_ms, "pending").map(|()| false),
                        None if undated => track(tx, doc, None, now_ms, "pending").map(|()| false),
                        None => settle(tx, doc, now_ms).map(|()| false),
                    }
                },
            )
        })
        .await
        .map_err(|_| CommandError::Stopping)?;
        let changed = match changed {
            Ok(changed) => changed,
            // A note the store cannot read as a meeting note is left alone, not retried forever.
            Err(
                e @ (CommandError::Model(_)
                | CommandError::Store(
                    StoreError::Model { .. }
                    | StoreError::InvalidValue(_)
                    | StoreError::WrongKind { .. }
                    | StoreError::NotFound(_),
                )),
            ) => {
                tracing::warn!(%doc, error = %e, "a meeting note that does not read; not checked for a deadline");
                track(&self.tables(), doc, None, now_ms, "unreadable")?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        self.fan_out(doc, changed.changes, changed.heads).await?;
        Ok(changed.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_read_when_new_due_or_undated_for_an_hour() {
        assert!(due_for_reading(None, 10));
        assert!(!due_for_reading(Some(&Tracked::Settled), 10));
        let due = |due_ms| Tracked::Pending {
            due_ms: Some(due_ms),
            checked_ms: 0,
        };
        assert!(!due_for_reading(Some(&due(10)), 10));
        assert!(due_for_reading(Some(&due(10)), 11));
        let undated = Tracked::Pending {
            due_ms: None,
            checked_ms: 1_000,
        };
        assert!(!due_for_reading(
            Some(&undated),
            1_000 + RECHECK_UNDATED_MS - 1
        ));
        assert!(due_for_reading(Some(&undated), 1_000 + RECHECK_UNDATED_MS));
    }
}
