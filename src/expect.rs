//! Which answers from the app count as passing (`send --expect`), so CI can assert that a
//! badly signed delivery is rejected as well as that a good one is accepted.

use std::fmt;

/// One accepted answer: an exact status or a class (`4xx` = 400-499).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepted {
    Status(u16),
    Class(u16),
}

/// The statuses that count as expected; `2xx` unless the user says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect(Vec<Accepted>);

impl Default for Expect {
    fn default() -> Self {
        Expect(vec![Accepted::Class(2)])
    }
}

impl Expect {
    /// Parses `401`, `4xx`, or a comma-separated list of them (`401,403`).
    pub fn parse(text: &str) -> Result<Expect, String> {
        let accepted = text
            .split(',')
            .map(|item| {
                let item = item.trim();
                let lower = item.to_ascii_lowercase();
                let class = lower
                    .strip_suffix("xx")
                    .filter(|d| d.len() == 1)
                    .and_then(|d| d.parse::<u16>().ok())
                    .filter(|d| (1..=5).contains(d));
                match class {
                    Some(d) => Ok(Accepted::Class(d)),
                    None => item
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                        .map(Accepted::Status)
                        .ok_or_else(|| {
                            format!("'{item}' is not a status (100-599) or a class like 4xx; e.g. 401, 4xx or 401,403")
                        }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Expect(accepted))
    }

    /// Whether the app's answer is expected; no answer never is.
    pub fn matches(&self, status: Option<u16>) -> bool {
        let Some(status) = status else {
            return false;
        };
        self.0.iter().any(|a| match a {
            Accepted::Status(s) => *s == status,
            Accepted::Class(c) => status / 100 == *c,
        })
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|a| match a {
                Accepted::Status(s) => s.to_string(),
                Accepted::Class(c) => format!("{c}xx"),
            })
            .collect();
        f.write_str(&items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classes_and_lists() {
        let default = Expect::default();
        assert!(default.matches(Some(200)) && default.matches(Some(204)));
        assert!(!default.matches(Some(401)) && !default.matches(None));
        let class = Expect::parse("4XX").unwrap();
        assert!(class.matches(Some(401)) && class.matches(Some(400)));
        assert!(!class.matches(Some(200)) && !class.matches(None));
        let list = Expect::parse("401, 403").unwrap();
        assert!(list.matches(Some(403)) && !list.matches(Some(400)));
        assert_eq!(list.to_string(), "401,403");
        assert_eq!(Expect::default().to_string(), "2xx");
        for bad in ["", "4x", "600", "99", "6xx", "ok", "40x"] {
            let e = Expect::parse(bad).unwrap_err();
            assert!(e.contains("is not a status"), "{bad}: {e}");
        }
    }
}
