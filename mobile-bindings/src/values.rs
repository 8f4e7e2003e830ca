//! Value records shared by the documents, and the parsing of ids an app passes as strings.
//!
//! Core → FFI conversions are `From` (they cannot fail); FFI → core conversions are `into_core`
//! and return the model's validation error (an unknown zone or currency is a typed error).

use enlace_core::model::people::{
    Attendance as CoreAttendance, Attendee as CoreAttendee, Party as CoreParty,
    Visibility as CoreVisibility,
};
use enlace_core::model::rules::CheckInMethod as CoreCheckInMethod;
use enlace_core::model::{self as core, ModelError};
use enlace_core::{DocumentId, EntityId};

/// Parses a document id (`automerge:…`, bs58check or a hyphenated UUID).
pub(crate) fn doc_id(id: &str) -> Result<DocumentId, ModelError> {
    id.parse::<DocumentId>()
        .map_err(|e| ModelError::invalid("id", e.to_string()))
}

/// Parses an optional document id given as `field`.
pub(crate) fn opt_doc_id(
    field: &str,
    id: Option<String>,
) -> Result<Option<DocumentId>, ModelError> {
    id.map(|s| {
        s.parse::<DocumentId>()
            .map_err(|e| ModelError::invalid(field, e.to_string()))
    })
    .transpose()
}

/// Parses an entity id (account, user, store) given as `field`.
pub(crate) fn entity(field: &str, id: String) -> Result<EntityId, ModelError> {
    id.parse::<EntityId>()
        .map_err(|e| ModelError::invalid(field, e.to_string()))
}

/// Parses an optional entity id given as `field`.
pub(crate) fn opt_entity(field: &str, id: Option<String>) -> Result<Option<EntityId>, ModelError> {
    id.map(|s| entity(field, s)).transpose()
}

/// A UTC instant plus the IANA zone where it was captured.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Instant {
    /// Milliseconds since the Unix epoch, UTC.
    pub utc_ms: i64,
    /// IANA zone name (`America/Santiago`).
    pub zone: String,
}

impl From<core::Instant> for Instant {
    fn from(i: core::Instant) -> Self {
        Instant {
            utc_ms: i.utc_ms,
            zone: i.zone.as_str().to_owned(),
        }
    }
}

impl Instant {
    pub(crate) fn into_core(self) -> Result<core::Instant, ModelError> {
        core::Instant::new(self.utc_ms, &self.zone)
    }

    pub(crate) fn opt_into_core(i: Option<Self>) -> Result<Option<core::Instant>, ModelError> {
        i.map(Self::into_core).transpose()
    }
}

/// Money: integer minor units plus an ISO-4217 currency (CLP has 0 decimals, MXN 2).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Money {
    /// Amount in minor units (centavos; pesos for CLP).
    pub amount_minor: i64,
    /// ISO-4217 code (`CLP`).
    pub currency: String,
}

impl From<core::Money> for Money {
    fn from(m: core::Money) -> Self {
        Money {
            amount_minor: m.amount_minor,
            currency: m.currency.code().to_owned(),
        }
    }
}

impl Money {
    pub(crate) fn into_core(self) -> Result<core::Money, ModelError> {
        core::Money::new(self.amount_minor, &self.currency)
    }

    pub(crate) fn opt_into_core(m: Option<Self>) -> Result<Option<core::Money>, ModelError> {
        m.map(Self::into_core).transpose()
    }
}

/// A position.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Accuracy radius in metres, when known.
    pub accuracy_m: Option<f64>,
}

impl From<core::GeoPoint> for GeoPoint {
    fn from(g: core::GeoPoint) -> Self {
        GeoPoint {
            lat: g.lat,
            lon: g.lon,
            accuracy_m: g.accuracy_m,
        }
    }
}

impl From<GeoPoint> for core::GeoPoint {
    fn from(g: GeoPoint) -> Self {
        core::GeoPoint {
            lat: g.lat,
            lon: g.lon,
            accuracy_m: g.accuracy_m,
        }
    }
}

ffi_enum! {
    /// How a check-in was made.
    pub enum CheckInMethod mirrors CoreCheckInMethod { Gps, Manual }
}

/// Arrival at a place (ONCE).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CheckIn {
    /// When.
    pub at: Instant,
    /// Where (required for a GPS check-in).
    pub geo: Option<GeoPoint>,
    /// GPS or manual.
    pub method: CheckInMethod,
    /// Why manual (required for a manual check-in).
    pub manual_reason: Option<String>,
}

impl From<core::CheckIn> for CheckIn {
    fn from(c: core::CheckIn) -> Self {
        CheckIn {
            at: c.at.into(),
            geo: c.geo.map(Into::into),
            method: c.method.into(),
            manual_reason: c.manual_reason,
        }
    }
}

impl CheckIn {
    pub(crate) fn into_core(self) -> Result<core::CheckIn, ModelError> {
        Ok(core::CheckIn {
            at: self.at.into_core()?,
            geo: self.geo.map(Into::into),
            method: self.method.into(),
            manual_reason: self.manual_reason,
        })
    }
}

ffi_enum! {
    /// Agency or client side.
    pub enum Party mirrors CoreParty { Agency, Client }
}

ffi_enum! {
    /// Whether an attendee came.
    pub enum Attendance mirrors CoreAttendance { Expected, Attended, Absent }
}

ffi_enum! {
    /// Who may see a document.
    pub enum Visibility mirrors CoreVisibility { Team, Private }
}

/// A person at a visit or meeting, keyed by `key` in the document.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Attendee {
    /// The attendee's key in the document (made on the device).
    pub key: String,
    /// Agency or client.
    pub party: Party,
    /// User or contact id, when known.
    pub person_id: Option<String>,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Expected, attended, absent.
    pub attendance: Attendance,
    /// Soft delete.
    pub deleted: bool,
}

impl Attendee {
    pub(crate) fn from_core(key: String, a: CoreAttendee) -> Self {
        Attendee {
            key,
            party: a.party.into(),
            person_id: a.person_id,
            name: a.name,
            title: a.title,
            attendance: a.attendance.into(),
            deleted: a.deleted,
        }
    }

    /// The key and the core value.
    pub(crate) fn into_core(self) -> (String, CoreAttendee) {
        (
            self.key,
            CoreAttendee {
                party: self.party.into(),
                person_id: self.person_id,
                name: self.name,
                title: self.title,
                attendance: self.attendance.into(),
                deleted: self.deleted,
            },
        )
    }
}
