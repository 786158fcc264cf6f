//! Routes: which app a delivery is forwarded to. A route matches a path prefix (whole segments:
//! `/stripe` takes `/stripe` and `/stripe/x`, not `/stripes`), optionally a signature scheme and
//! event types; the first route that matches wins, in the order they were given. A delivery no
//! route takes is captured and answered, not forwarded ("no route").
//!
//! Pure: no I/O, no flags. The intake holds a [`RouteTable`] of its own targets (`T`), the
//! config file and `config check` one of URLs.

use http::Uri;

use crate::chosen::Chosen;
use crate::forward::join_target;
use crate::signature::Scheme;

/// Which event types are forwarded; the others are captured and acknowledged, not forwarded
/// (as `stripe listen --events` does). Empty forwards everything. Matched in any case; a
/// delivery without an event type is not forwarded once a list is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    only: Vec<String>,
}

impl EventFilter {
    pub fn only(types: impl IntoIterator<Item = String>) -> EventFilter {
        EventFilter {
            only: types
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    pub fn forwards(&self, event_type: Option<&str>) -> bool {
        self.only.is_empty()
            || event_type.is_some_and(|e| self.only.iter().any(|o| o.eq_ignore_ascii_case(e)))
    }

    /// `DOCVER, AML_SCREENING only`, or `None` when everything is forwarded.
    pub fn describe(&self) -> Option<String> {
        (!self.only.is_empty()).then(|| format!("{} only", self.only.join(", ")))
    }
}

/// What a route takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Normalised: starts with `/`, no trailing `/` except for `/` itself.
    prefix: String,
    pub scheme: Option<Scheme>,
    pub events: EventFilter,
}

impl Rule {
    pub fn new(prefix: &str, scheme: Option<Scheme>, events: EventFilter) -> Rule {
        Rule {
            prefix: normalise_prefix(prefix),
            scheme,
            events,
        }
    }

    /// Everything: `--forward-to` is this rule.
    pub fn catch_all(events: EventFilter) -> Rule {
        Rule::new("/", None, events)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn takes(&self, path: &str, scheme: Option<Scheme>, event_type: Option<&str>) -> bool {
        under_prefix(&self.prefix, path).is_some()
            && self.scheme.is_none_or(|s| Some(s) == scheme)
            && self.events.forwards(event_type)
    }
}

/// One route: a rule, where it goes, and how the path is passed on.
#[derive(Debug, Clone)]
pub struct Route<T> {
    /// What captures record as the route they took: `name` in the file, else the prefix.
    pub name: String,
    pub rule: Rule,
    pub target: Uri,
    /// Forward `/stripe/hook` as `/hook` (the prefix removed); by default the path goes as
    /// received, as with `--forward-to`.
    pub strip_prefix: bool,
    /// Headers added to every forward on this route, replacing any of the same name (an
    /// environment tag, an auth header the app wants): `(name, value)`, in order.
    pub headers: Vec<(String, String)>,
    /// A status answered by choice to the first deliveries of each event this route takes,
    /// instead of forwarding them (the listener's own applies when `None`).
    pub respond: Option<Chosen>,
    /// What the holder keeps with the route (the intake: its forwarder).
    pub with: T,
}

impl<T> Route<T> {
    /// The URL a delivery to `path?query` is forwarded to.
    pub fn url_for(&self, path: &str, query: Option<&str>) -> Uri {
        let path = if self.strip_prefix {
            under_prefix(self.rule.prefix(), path).unwrap_or(path)
        } else {
            path
        };
        join_target(&self.target, path, query)
    }

    /// `/stripe→:4001`: the prefix and the target's port (or host when it has no port).
    pub fn compact(&self) -> String {
        let to = match (self.target.host(), self.target.port_u16()) {
            (Some(h), Some(p)) if is_local(h) => format!(":{p}"),
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => self.target.to_string(),
        };
        format!("{}→{to}", self.rule.prefix())
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1")
}

/// Routes in order; the first that takes a delivery wins.
#[derive(Debug, Clone)]
pub struct RouteTable<T> {
    routes: Vec<Route<T>>,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        RouteTable { routes: Vec::new() }
    }
}

impl<T> RouteTable<T> {
    pub fn new(routes: Vec<Route<T>>) -> RouteTable<T> {
        RouteTable { routes }
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn routes(&self) -> &[Route<T>] {
        &self.routes
    }

    /// The first route that takes a delivery to `path` signed with `scheme`, of `event_type`.
    pub fn pick(
        &self,
        path: &str,
        scheme: Option<Scheme>,
        event_type: Option<&str>,
    ) -> Option<&Route<T>> {
        self.routes
            .iter()
            .find(|r| r.rule.takes(path, scheme, event_type))
    }

    /// Each route's compact form, in order (the TUI header fits as many as the width allows).
    pub fn compact(&self) -> Vec<String> {
        self.routes.iter().map(Route::compact).collect()
    }

    /// Adds `extra` to every route's headers, after its own (`listen --forward-header`): the
    /// same name set twice, the later wins when the forward is built.
    pub fn add_headers(&mut self, extra: &[(String, String)]) {
        for r in &mut self.routes {
            r.headers.extend_from_slice(extra);
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(&Route<T>) -> U) -> RouteTable<U> {
        RouteTable {
            routes: self
                .routes
                .into_iter()
                .map(|r| {
                    let with = f(&r);
                    Route {
                        name: r.name,
                        rule: r.rule,
                        target: r.target,
                        strip_prefix: r.strip_prefix,
                        headers: r.headers,
                        respond: r.respond,
                        with,
                    }
                })
                .collect(),
        }
    }
}

fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_end_matches('/');
    if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

/// The rest of `path` under `prefix` (always starting with `/`), or `None` when the path is
/// not under it. Whole segments only.
fn under_prefix<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if prefix == "/" {
        return Some(path);
    }
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, prefix: &str, scheme: Option<Scheme>, events: &[&str]) -> Route<()> {
        Route {
            name: name.into(),
            rule: Rule::new(
                prefix,
                scheme,
                EventFilter::only(events.iter().map(|e| e.to_string())),
            ),
            target: "http://127.0.0.1:4001/in".parse().unwrap(),
            strip_prefix: false,
            headers: Vec::new(),
            respond: None,
            with: (),
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        let t = RouteTable::new(vec![route("s", "/stripe/", None, &[])]);
        for hit in ["/stripe", "/stripe/", "/stripe/hook", "/stripe/a/b"] {
            assert!(t.pick(hit, None, None).is_some(), "{hit}");
        }
        for miss in ["/", "/stripes", "/str", "/dataspike/stripe"] {
            assert!(t.pick(miss, None, None).is_none(), "{miss}");
        }
        assert_eq!(t.routes()[0].rule.prefix(), "/stripe");
        assert_eq!(
            Rule::new("kyc", None, EventFilter::default()).prefix(),
            "/kyc"
        );
    }

    #[test]
    fn the_first_matching_route_wins_and_scheme_and_event_narrow() {
        let t = RouteTable::new(vec![
            route(
                "stripe-paid",
                "/stripe",
                Some(Scheme::Stripe),
                &["invoice.paid"],
            ),
            route("stripe", "/stripe", Some(Scheme::Stripe), &[]),
            route("docver", "/", None, &["DOCVER"]),
            route("rest", "/", None, &[]),
        ]);
        let name = |p, s, e| t.pick(p, s, e).map(|r| r.name.as_str());
        assert_eq!(
            name("/stripe/x", Some(Scheme::Stripe), Some("invoice.paid")),
            Some("stripe-paid")
        );
        assert_eq!(
            name("/stripe/x", Some(Scheme::Stripe), Some("charge.failed")),
            Some("stripe")
        );
        // Unsigned or another scheme's delivery under /stripe falls through to the catch-alls.
        assert_eq!(name("/stripe/x", None, Some("docver")), Some("docver"));
        assert_eq!(name("/stripe/x", Some(Scheme::Github), None), Some("rest"));
        assert_eq!(name("/other", None, None), Some("rest"));
        let none = RouteTable::new(vec![route("s", "/stripe", None, &[])]);
        assert!(none.pick("/other", None, None).is_none());
    }

    #[test]
    fn the_path_is_kept_unless_the_prefix_is_stripped() {
        let mut r = route("s", "/stripe", None, &[]);
        assert_eq!(
            r.url_for("/stripe/hook", Some("a=1")).to_string(),
            "http://127.0.0.1:4001/in/stripe/hook?a=1"
        );
        r.strip_prefix = true;
        assert_eq!(
            r.url_for("/stripe/hook", None).to_string(),
            "http://127.0.0.1:4001/in/hook"
        );
        assert_eq!(
            r.url_for("/stripe", None).to_string(),
            "http://127.0.0.1:4001/in/"
        );
    }

    #[test]
    fn compact_names_the_prefix_and_the_port_of_a_local_target() {
        let mut r = route("s", "/stripe", None, &[]);
        assert_eq!(r.compact(), "/stripe→:4001");
        r.target = "https://kyc.internal/h".parse().unwrap();
        assert_eq!(r.compact(), "/stripe→kyc.internal");
    }
}
