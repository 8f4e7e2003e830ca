//! Silence counts as acceptance: a sent contact report the client has not answered within the
//! organisation's working hours (48 by default, on its calendar: time zone, working days,
//! holidays) is accepted by the server, as agencies agree with their clients. Sent reports are
//! watched in `sent_reports` (written when sending, cleared when answered), so the check never
//! scans documents; each organisation's calendar is kept in `org_calendars`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use enlace_core::ids::DocumentId;
use enlace_core::model::meeting_note::ContactReportStatus;
use enlace_core::model::{Instant, MeetingNote};
use enlace_core::store::ListingRows;
use rusqlite::{Connection, OptionalExtension, params};
use tokio_util::sync::CancellationToken;

use super::answer::answered;
use super::{CommandError, Commands, log_row};
use crate::calendar::Calendar;
use crate::config::ContactReportRules;
use crate::directory::OrgId;

/// Most reports accepted in one check (the rest wait for the next).
const MAX_PER_CHECK: usize = 500;

impl Commands {
    /// The calendar of `org` (the default, UTC Monday to Friday, until an admin sets one).
    pub(crate) fn calendar(&self, org: &OrgId) -> Result<Calendar, CommandError> {
        read_calendar(&self.tables(), org)
    }

    /// Sets the calendar of `org`.
    pub(crate) fn set_calendar(
        &self,
        org: &OrgId,
        calendar: &Calendar,
    ) -> Result<(), CommandError> {
        write_calendar(&self.tables(), org, calendar)
    }

    /// Accepts every sent report whose client stayed silent for `hours` working hours by
    /// `now_ms`. Returns how many were accepted.
    pub(crate) async fn accept_silent(
        &self,
        hours: u32,
        now_ms: i64,
    ) -> Result<usize, CommandError> {
        let due = self.silent_reports(hours, now_ms)?;
        let mut accepted = 0;
        for doc in due {
            if self.accept_one(doc, now_ms).await? {
                accepted += 1;
            }
        }
        Ok(accepted)
    }

    /// The reports past their deadline, oldest first, at most [`MAX_PER_CHECK`].
    fn silent_reports(&self, hours: u32, now_ms: i64) -> Result<Vec<DocumentId>, CommandError> {
        let waiting: Vec<(Vec<u8>, String, i64)> = {
            let conn = self.tables();
            let mut stmt = conn
                .prepare(
                    "SELECT doc_id, org, sent_ms FROM sent_reports WHERE state = 'sent'
                     ORDER BY sent_ms LIMIT 10000",
                )
                .map_err(CommandError::Database)?;
            let rows = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .map_err(CommandError::Database)?;
            rows.collect::<Result<_, _>>()
                .map_err(CommandError::Database)?
        };
        let mut due = Vec::new();
        // One read per organisation per check, not one per waiting report.
        let mut calendars: HashMap<OrgId, Calendar> = HashMap::new();
        for (doc, org, sent_ms) in waiting {
            let (Ok(bytes), Ok(org)) = (<[u8; 16]>::try_from(doc.as_slice()), org.parse::<OrgId>())
            else {
                tracing::warn!(?org, "an unreadable row in sent_reports; skipped");
                continue;
            };
            let calendar = match calendars.entry(org.clone()) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(self.calendar(&org)?),
            };
            match calendar.add_working_hours(sent_ms, hours) {
                Ok(deadline) if deadline <= now_ms => due.push(DocumentId::from_bytes(bytes)),
                Ok(_) => {}
                Err(e) => tracing::warn!(%org, error = %e, "no silence deadline for a sent report"),
            }
            if due.len() >= MAX_PER_CHECK {
                break;
            }
        }
        Ok(due)
    }

    /// Accepts one silent report; false if it was answered meanwhile.
    async fn accept_one(&self, doc: DocumentId, now_ms: i64) -> Result<bool, CommandError> {
        let (store, actor) = (self.store.clone(), self.actor.clone());
        let changed = tokio::task::spawn_blocking(move || {
            store.change_authoritatively(
                doc,
                &actor,
                ListingRows::Unindexed,
                |note: &mut MeetingNote, tx| {
                    let report = &mut note.contact_report;
                    if report.status() != ContactReportStatus::Sent {
                        answered(tx, doc, report.status())?;
                        return Ok::<_, CommandError>(false);
                    }
                    let zone = report
                        .sent_at
                        .as_ref()
                        .map_or("UTC", |at| at.zone.as_str())
                        .to_owned();
                    report.record_answer(
                        ContactReportStatus::Accepted,
                        Instant::new(now_ms, &zone)?,
                        None,
                    )?;
                    answered(tx, doc, ContactReportStatus::Accepted)?;
                    log_row(tx, doc, "accept-by-silence", "server", now_ms, "")?;
                    Ok(true)
                },
            )
        })
        .await
        .map_err(|_| CommandError::Stopping)??;
        self.fan_out(doc, changed.changes, changed.heads).await?;
        Ok(changed.value)
    }
}

/// The calendar of `org` in the documents database on `conn` (the API's and `enlace-server
/// admin`'s way to it).
pub(crate) fn read_calendar(conn: &Connection, org: &OrgId) -> Result<Calendar, CommandError> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT calendar FROM org_calendars WHERE org = ?1",
            [org.to_string()],
            |row| row.get(0),
        )
        .optional()
        .map_err(CommandError::Database)?;
    match stored {
        None => Ok(Calendar::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| CommandError::State(format!("the stored calendar does not read: {e}"))),
    }
}

/// Sets the calendar of `org` in the documents database on `conn`.
pub(crate) fn write_calendar(
    conn: &Connection,
    org: &OrgId,
    calendar: &Calendar,
) -> Result<(), CommandError> {
    let json = serde_json::to_string(calendar)
        .map_err(|e| CommandError::State(format!("the calendar does not write: {e}")))?;
    conn.execute(
        "INSERT INTO org_calendars (org, calendar) VALUES (?1, ?2)
         ON CONFLICT (org) DO UPDATE SET calendar = excluded.calendar",
        params![org.to_string(), json],
    )
    .map_err(CommandError::Database)?;
    Ok(())
}

/// Flags reports not sent in time and accepts silent ones, every `rules.check_every`, until
/// `stop`.
pub(crate) async fn watch(
    commands: Arc<Commands>,
    rules: ContactReportRules,
    stop: CancellationToken,
) {
    let every = rules.check_every.max(Duration::from_millis(10));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match commands
            .flag_overdue(rules.send_within_hours, (rules.clock)())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                flagged = n,
                "contact reports not sent in time flagged overdue"
            ),
            Err(e) => tracing::error!(
                error = &e as &dyn std::error::Error,
                "checking contact report deadlines failed"
            ),
        }
        match commands
            .accept_silent(rules.silence_accepts_after_hours, (rules.clock)())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                accepted = n,
                "contact reports accepted by the client's silence"
            ),
            Err(e) => tracing::error!(
                error = &e as &dyn std::error::Error,
                "checking silent contact reports failed"
            ),
        }
    }
}
