//! How times are shown in the TUI: the local zone, or a fixed offset that tests pin so
//! snapshots match on every machine. Pure formatting.

#[cfg(test)]
use chrono::Offset;

/// How local times are shown. Tests pin a fixed offset so snapshots match on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local zone.
    Local,
    /// A fixed offset from UTC.
    Fixed(chrono::FixedOffset),
}

impl Zone {
    /// UTC: what the TUI tests pin.
    #[cfg(test)]
    pub(crate) fn utc() -> Zone {
        Zone::Fixed(chrono::Utc.fix())
    }

    fn to_zoned(self, ms: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let utc = chrono::DateTime::from_timestamp_millis(ms)?;
        Some(match self {
            Zone::Local => utc.with_timezone(&chrono::Local).fixed_offset(),
            Zone::Fixed(offset) => utc.with_timezone(&offset),
        })
    }

    /// `HH:MM:SS` for list rows.
    pub(crate) fn hms(self, ms: i64) -> String {
        self.to_zoned(ms)
            .map(|t| t.format("%H:%M:%S").to_string())
            .unwrap_or_else(|| "??:??:??".into())
    }

    /// `2026-11-28 03:16:04.123 +00:00` for the detail.
    pub(crate) fn full(self, ms: i64) -> String {
        self.to_zoned(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string())
            .unwrap_or_else(|| format!("invalid time ({ms} ms)"))
    }
}
