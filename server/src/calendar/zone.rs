//! A calendar's time zone: an IANA name, looked up in the tz database bundled into the binary.
//!
//! The bundled copy and never the system's `/usr/share/zoneinfo`: a container may lack it, and
//! two machines with different copies would disagree on a deadline. Offsets (`-03:00`) and POSIX
//! rules are refused: a fixed offset does not follow a country's daylight saving changes, which is
//! the point of naming a zone.

use std::fmt;

use jiff::tz::{TimeZone, TimeZoneDatabase};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::CalendarError;

/// Longest zone name accepted (the longest IANA name has 32 bytes).
pub const MAX_ZONE_NAME_LEN: usize = 64;

/// An IANA time zone, kept with its canonical name (the name is what is stored).
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// Looks `name` up, ignoring case (`america/santiago` is `America/Santiago`).
    pub fn new(name: &str) -> Result<Zone, CalendarError> {
        if name.len() > MAX_ZONE_NAME_LEN {
            return Err(CalendarError::ZoneNameTooLong);
        }
        let unknown = || CalendarError::UnknownZone(name.to_owned());
        let tz = TimeZoneDatabase::bundled()
            .get(name)
            .map_err(|_| unknown())?;
        // `Etc/Unknown` is found but is no zone; it has no IANA name.
        let canonical = tz.iana_name().ok_or_else(unknown)?.to_owned();
        Ok(Zone {
            name: canonical,
            tz,
        })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// The canonical IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's rules.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

impl PartialEq for Zone {
    /// Two zones with one canonical name have the same rules.
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        let name = String::deserialize(deserializer)?;
        Zone::new(&name).map_err(serde::de::Error::custom)
    }
}
