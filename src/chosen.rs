//! Chosen answers: a status (after a delay) that hookscope gives the sender instead of the
//! usual answer, to the first N deliveries of each event, so the sender's redelivery can be
//! watched (`STATUS[,delay=DUR][,times=N]`, e.g. `503,times=2`). After those N deliveries an
//! event's redeliveries go on as before (forwarded to the app, or acknowledged).
//!
//! Pure: [`Chosen::parse`] reads the text, [`Chosen::answer`] decides one delivery's answer
//! from how many deliveries of its event came before, and [`Tally`] counts them (bounded). The
//! intake applies the decision; this module knows no flag, no file and no socket.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::Duration;

/// The longest delay a chosen answer may wait: senders give up long before this.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// A status hookscope answers by choice, after `delay`, to the first `times` deliveries of
/// each event (every delivery when `times` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    /// The HTTP status the sender gets (100..=599 but never 1xx: those are not final answers).
    pub status: u16,
    /// How long hookscope waits, after the capture is stored, before answering.
    pub delay: Duration,
    /// How many deliveries of each event get this answer; `None`: all of them.
    pub times: Option<u32>,
}

/// What one delivery is answered, when [`Chosen::answer`] says it gets the chosen answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChosenAnswer {
    /// The status given.
    pub status: u16,
    /// Waited before answering.
    pub delay: Duration,
}

impl Chosen {
    /// Parses `STATUS[,delay=DUR][,times=N]`: `503`, `500,times=3`, `200,delay=30s`. The
    /// options come in any order, each at most once; `DUR` is `1500ms`, `2s`, `1m` (up to
    /// [`MAX_DELAY`]); `times` is at least 1. Errors say what is wrong and show the form.
    pub fn parse(text: &str) -> Result<Chosen, String> {
        let mut parts = text.split(',').map(str::trim);
        let status_text = parts.next().unwrap_or_default();
        let status = parse_status(status_text)?;
        let mut delay = None;
        let mut times = None;
        for part in parts {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                format!("'{part}' is not an option; write delay=DURATION or times=N after the status, e.g. 503,delay=2s,times=2")
            })?;
            match key.trim() {
                "delay" if delay.is_none() => delay = Some(parse_delay(value.trim())?),
                "times" if times.is_none() => times = Some(parse_times(value.trim())?),
                "delay" | "times" => {
                    return Err(format!("'{}' is given twice; give it once", key.trim()))
                }
                other => {
                    return Err(format!(
                        "unknown option '{other}'; the options are delay=DURATION and times=N, e.g. 503,delay=2s,times=2"
                    ))
                }
            }
        }
        Ok(Chosen {
            status,
            delay: delay.unwrap_or(Duration::ZERO),
            times,
        })
    }

    /// The answer for a delivery that is number `delivery` (1-based) of its event: the chosen
    /// one while `delivery <= times`, else `None` (answer as usual).
    pub fn answer(&self, delivery: u32) -> Option<ChosenAnswer> {
        self.times
            .is_none_or(|t| delivery <= t)
            .then_some(ChosenAnswer {
                status: self.status,
                delay: self.delay,
            })
    }
}

impl Chosen {
    /// `503 to each event's first 2 deliveries`, `500 after 2s to every delivery`.
    pub fn describe(&self) -> String {
        let delay = if self.delay.is_zero() {
            String::new()
        } else {
            format!(" after {}", humantime::format_duration(self.delay))
        };
        let which = match self.times {
            Some(1) => "each event's first delivery".to_string(),
            Some(n) => format!("each event's first {n} deliveries"),
            None => "every delivery".to_string(),
        };
        format!("{}{delay} to {which}", self.status)
    }
}

impl fmt::Display for Chosen {
    /// The form [`Chosen::parse`] reads back: `503,delay=2s,times=2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if !self.delay.is_zero() {
            write!(f, ",delay={}", humantime::format_duration(self.delay))?;
        }
        if let Some(t) = self.times {
            write!(f, ",times={t}")?;
        }
        Ok(())
    }
}

fn parse_status(text: &str) -> Result<u16, String> {
    let form = "write the status first, e.g. 503 or 503,times=2";
    if text.is_empty() {
        return Err(format!("no status; {form}"));
    }
    let status: u16 = text
        .parse()
        .ok()
        .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("'{text}' is not an HTTP status; {form}"))?;
    if !(200..=599).contains(&status) {
        return Err(format!(
            "status {status} is not a final HTTP answer; use 200 to 599"
        ));
    }
    Ok(status)
}

fn parse_delay(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|_| {
        format!("delay '{text}' is not a duration; write e.g. delay=1500ms or delay=2s")
    })?;
    if d > MAX_DELAY {
        return Err(format!(
            "delay '{text}' is longer than {}; senders give up long before",
            humantime::format_duration(MAX_DELAY)
        ));
    }
    Ok(d)
}

fn parse_times(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n >= 1 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "times '{text}' is not a count of deliveries; write a whole number from 1, e.g. times=2"
        )),
    }
}

/// How many deliveries of each event came in (this session), so each event's first N get the
/// chosen answer. Holds at most [`Tally::CAPACITY`] events; past that the oldest is forgotten
/// (a redelivery of it counts as a first delivery again).
#[derive(Debug, Default)]
pub struct Tally {
    seen: HashMap<String, u32>,
    order: VecDeque<String>,
}

impl Tally {
    /// Events remembered at once.
    pub const CAPACITY: usize = 100_000;

    /// Counts one more delivery of the event `key` and returns its number, from 1. A delivery
    /// without an event key is an event of its own: always 1.
    pub fn next(&mut self, key: Option<&str>) -> u32 {
        let Some(key) = key else {
            return 1;
        };
        if let Some(n) = self.seen.get_mut(key) {
            *n = n.saturating_add(1);
            return *n;
        }
        if self.order.len() >= Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(key.to_string(), 1);
        self.order.push_back(key.to_string());
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_delay_and_times_in_any_order() {
        assert_eq!(
            Chosen::parse("503").unwrap(),
            Chosen {
                status: 503,
                delay: Duration::ZERO,
                times: None
            }
        );
        let c = Chosen::parse(" 500 , times=3, delay=1500ms ").unwrap();
        assert_eq!(
            c,
            Chosen {
                status: 500,
                delay: Duration::from_millis(1500),
                times: Some(3)
            }
        );
        assert_eq!(c.to_string(), "500,delay=1s 500ms,times=3");
        assert_eq!(
            c.describe(),
            "500 after 1s 500ms to each event's first 3 deliveries"
        );
        assert_eq!(Chosen::parse(&c.to_string()).unwrap(), c);
        assert_eq!(Chosen::parse("200,delay=2s").unwrap().delay.as_secs(), 2);
    }

    #[test]
    fn refuses_what_it_cannot_mean_and_says_why() {
        for (text, says) in [
            ("", "no status"),
            ("abc", "'abc' is not an HTTP status"),
            ("+503", "'+503' is not an HTTP status"),
            ("99", "not a final HTTP answer"),
            ("700", "not a final HTTP answer"),
            ("503,times=0", "times '0'"),
            ("503,times=-1", "times '-1'"),
            ("503,times=two", "times 'two'"),
            ("503,delay=soon", "delay 'soon'"),
            ("503,delay=1h", "longer than"),
            ("503,times=1,times=2", "given twice"),
            ("503,retries=2", "unknown option 'retries'"),
            ("503,2", "'2' is not an option"),
            ("503,", "'' is not an option"),
        ] {
            let e = Chosen::parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_first_n_deliveries_of_an_event_get_the_chosen_answer() {
        let c = Chosen::parse("503,delay=2s,times=2").unwrap();
        let chosen = ChosenAnswer {
            status: 503,
            delay: Duration::from_secs(2),
        };
        assert_eq!(c.answer(1), Some(chosen));
        assert_eq!(c.answer(2), Some(chosen));
        assert_eq!(c.answer(3), None);
        let always = Chosen::parse("500").unwrap();
        assert!(always.answer(u32::MAX).is_some());
    }

    #[test]
    fn the_tally_counts_each_event_apart_and_forgets_the_oldest_when_full() {
        let mut t = Tally::default();
        assert_eq!(t.next(Some("a")), 1);
        assert_eq!(t.next(Some("b")), 1);
        assert_eq!(t.next(Some("a")), 2);
        assert_eq!(t.next(None), 1);
        assert_eq!(t.next(None), 1);
        assert_eq!(t.next(Some("a")), 3);
        for i in 0..Tally::CAPACITY {
            t.next(Some(&format!("fill{i}")));
        }
        assert!(t.seen.len() <= Tally::CAPACITY);
        assert_eq!(t.next(Some("a")), 1, "forgotten once full");
    }
}
