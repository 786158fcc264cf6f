//! How the store runs a [`ListQuery`] (and the [`Query`](crate::query::Query) in it): pure SQL building, every
//! user value a bound parameter.
//!
//! A query reads rows in id order from one "driver", so the first page of a rare match costs
//! a few index lookups and a LIMIT stops the read early:
//! - words (and, as a prefilter, the words of `a.b=text` values) go to the FTS5 index
//!   `captures_fts` (path and body), which yields matching ids newest first;
//! - else a `status:` code or class goes to `attempts_by_status_class`, and only an attempt
//!   that is its capture's latest counts;
//! - else the captures table itself, newest first.
//!
//! Every other term is a condition on each row the driver yields. A query with no index driver
//! may scan the whole table for a rare match: `Plan::indexed` says so, and the TUI then reads
//! it in bounded id ranges instead of one query.

use rusqlite::types::Value;

use super::ListQuery;
use crate::query::{words, Also, DeliveryMatch, JsonValue, PathStep, StatusMatch, Term, TermKind};
use crate::signature::Status;

/// The app's latest answer to capture `c`: NULL when never forwarded or no answer came.
const LATEST_STATUS: &str =
    "(SELECT a2.status FROM attempts a2 WHERE a2.capture_id = c.id ORDER BY a2.id DESC LIMIT 1)";

/// A query as SQL: `SELECT ... FROM {from} WHERE {conds} ORDER BY {key}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The table (or index join) rows are read from.
    pub from: &'static str,
    /// The id column rows come out ordered by (the driver's).
    pub(crate) key: &'static str,
    pub(crate) conds: Vec<String>,
    /// The values bound to the conditions' `?`s, in order.
    pub params: Vec<Value>,
    /// Whether the driver is an index that finds rare matches without a scan.
    pub(crate) indexed: bool,
    /// Whether it reads the full-text index, which must first catch up
    /// (`store::text_index`).
    pub(crate) fts: bool,
}

impl Plan {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    /// `WHERE ...`, or nothing.
    pub fn where_sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }

    /// The rows of `q`, newest first unless `q.ascending`, with `columns` selected; and
    /// whether the SQL reads the full-text index.
    pub(crate) fn select(q: &ListQuery, columns: &str) -> (String, Vec<Value>, bool) {
        let plan = plan(q);
        let order = if q.ascending { "ASC" } else { "DESC" };
        let limit = q.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let sql = format!(
            "SELECT {columns} FROM {} {} ORDER BY {} {order} LIMIT {limit}",
            plan.from,
            plan.where_sql(),
            plan.key
        );
        (sql, plan.params, plan.fts)
    }
}

/// An FTS5 string: the text tokenized by the index as a phrase, `*` for a prefix.
fn fts_string(text: &str, prefix: bool) -> String {
    let quoted = format!("\"{}\"", text.replace('"', "\"\""));
    if prefix {
        format!("{quoted} *")
    } else {
        quoted
    }
}

/// Whether every serializer writes `value` into JSON unescaped, so a JSON string equal to it
/// (any case) also contains its words: then the FTS index may narrow the rows first.
/// (Non-ASCII may be written `\u00e9`; Go escapes `<>&`.)
fn verbatim_in_json(value: &str) -> bool {
    value
        .chars()
        .all(|c| (c.is_ascii_graphic() || c == ' ') && !"\"\\<>&'".contains(c))
        && !words(value).is_empty()
}

/// `$.payload.items[0]."risk-score"`.
fn json_path(steps: &[PathStep]) -> String {
    let mut out = String::from("$");
    for step in steps {
        match step {
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
            PathStep::Key(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                out.push('.');
                out.push_str(k);
            }
            PathStep::Key(k) => out.push_str(&format!(".\"{k}\"")),
        }
    }
    out
}

fn statuses(plan: &mut Plan, list: &[Status]) -> String {
    let marks: Vec<String> = list
        .iter()
        .map(|s| plan.bind(s.as_str().to_string()))
        .collect();
    // `+` keeps the planner off the verdict index: rows must come in id order.
    format!("+c.verdict IN ({})", marks.join(", "))
}

/// The plan for `q`: its driver, then one condition per remaining term.
pub fn plan(q: &ListQuery) -> Plan {
    let terms = &q.query.terms;
    let mut positive = Vec::new();
    let mut negative = Vec::new();
    for t in terms {
        match (&t.kind, t.negated) {
            (
                TermKind::Text {
                    text,
                    prefix,
                    also: None,
                },
                neg,
            ) => {
                let s = fts_string(text, *prefix);
                if neg {
                    negative.push(s);
                } else {
                    positive.push(s);
                }
            }
            (
                TermKind::Json {
                    equal: true,
                    value: JsonValue::Text(v),
                    ..
                },
                false,
            ) if verbatim_in_json(v) => positive.push(fts_string(v, false)),
            _ => {}
        }
    }
    // The first positive status code or class: (its term, the class, the code).
    let status_driver = terms.iter().enumerate().find_map(|(i, t)| match t.kind {
        TermKind::Status(StatusMatch::Code(code)) if !t.negated => {
            Some((i, code / 100, Some(code)))
        }
        TermKind::Status(StatusMatch::Class(class)) if !t.negated => Some((i, class, None)),
        _ => None,
    });
    let mut plan = Plan {
        from: "captures c",
        key: "c.id",
        conds: Vec::new(),
        params: Vec::new(),
        indexed: false,
        fts: false,
    };
    let mut skip = None;
    if !positive.is_empty() {
        let mut expr = format!("({})", positive.join(" AND "));
        for n in &negative {
            expr.push_str(" NOT ");
            expr.push_str(n);
        }
        plan.from = "captures_fts CROSS JOIN captures c ON c.id = captures_fts.rowid";
        plan.key = "captures_fts.rowid";
        plan.indexed = true;
        plan.fts = true;
        let m = plan.bind(expr);
        plan.conds.push(format!("captures_fts MATCH {m}"));
    } else if let Some((i, class, code)) = status_driver {
        plan.from = "attempts a CROSS JOIN captures c ON c.id = a.capture_id";
        plan.key = "a.capture_id";
        plan.indexed = true;
        let p = plan.bind(i64::from(class));
        plan.conds.push(format!("a.status / 100 = {p}"));
        if let Some(code) = code {
            let p = plan.bind(i64::from(code));
            plan.conds.push(format!("a.status = {p}"));
        }
        plan.conds.push(
            "a.id = (SELECT max(x.id) FROM attempts x WHERE x.capture_id = a.capture_id)".into(),
        );
        skip = Some(i);
    }
    let fts_driven = plan.indexed && skip.is_none();
    for (i, t) in terms.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        if fts_driven && matches!(t.kind, TermKind::Text { also: None, .. }) {
            continue;
        }
        let cond = condition(&mut plan, t);
        let negated = match &t.kind {
            TermKind::Json { equal, .. } => t.negated == *equal,
            _ => t.negated,
        };
        plan.conds.push(if negated {
            format!("NOT coalesce({cond}, 0)")
        } else {
            cond
        });
    }
    legacy(&mut plan, q);
    plan
}

/// The flags' filters and keyset paging.
fn legacy(plan: &mut Plan, q: &ListQuery) {
    if let Some(v) = q.verdict {
        let cond = statuses(plan, &[v]);
        plan.conds.push(cond);
    }
    if !q.verdicts.is_empty() {
        let cond = statuses(plan, &q.verdicts);
        plan.conds.push(cond);
    }
    if let Some(e) = &q.event {
        let p = plan.bind(e.clone());
        plan.conds.push(format!("c.event_type = {p}"));
    }
    let key = plan.key;
    if let Some(b) = q.before {
        let p = plan.bind(b);
        plan.conds.push(format!("{key} < {p}"));
    }
    if let Some(a) = q.after {
        let p = plan.bind(a);
        plan.conds.push(format!("{key} > {p}"));
    }
}

/// What a term asks of one row `c`, before negation (NULL counts as false).
fn condition(plan: &mut Plan, t: &Term) -> String {
    match &t.kind {
        TermKind::Text { text, prefix, also } => {
            let mut either = Vec::new();
            match also {
                Some(Also::Verdict(list)) => either.push(statuses(plan, list)),
                Some(Also::Status(code)) => {
                    let p = plan.bind(i64::from(*code));
                    either.push(format!("{LATEST_STATUS} = {p}"));
                }
                None => {}
            }
            if !words(text).is_empty() {
                plan.fts = true;
                let m = plan.bind(fts_string(text, *prefix));
                either.push(format!(
                    "EXISTS (SELECT 1 FROM captures_fts WHERE captures_fts MATCH {m} AND rowid = c.id)"
                ));
            }
            format!("({})", either.join(" OR "))
        }
        TermKind::Event(e) => match e.strip_suffix(['*', '…']) {
            // `event:0192ab…` (as `show` shortens a key) or `event:0192*`: a key's beginning.
            Some(head) if !head.is_empty() => {
                let p = plan.bind(head.to_string());
                format!("substr(c.event_key, 1, length({p})) = {p}")
            }
            _ => {
                let p = plan.bind(e.clone());
                format!("(c.event_type = {p} COLLATE NOCASE OR c.event_key = {p})")
            }
        },
        TermKind::Verdict(list) => statuses(plan, list),
        TermKind::Status(StatusMatch::None) => format!("{LATEST_STATUS} IS NULL"),
        TermKind::Status(StatusMatch::Code(code)) => {
            let p = plan.bind(i64::from(*code));
            format!("{LATEST_STATUS} = {p}")
        }
        TermKind::Status(StatusMatch::Class(class)) => {
            let p = plan.bind(i64::from(*class));
            format!("{LATEST_STATUS} / 100 = {p}")
        }
        TermKind::Path(prefix) => {
            let p = plan.bind(prefix.clone());
            format!("substr(c.path, 1, length({p})) = {p}")
        }
        TermKind::Since(ms) => {
            let p = plan.bind(*ms);
            format!("c.received_at_ms >= {p}")
        }
        TermKind::Before(ms) => {
            let p = plan.bind(*ms);
            format!("c.received_at_ms < {p}")
        }
        TermKind::Scheme(s) => {
            let p = plan.bind(s.name().to_string());
            format!("c.scheme = {p}")
        }
        TermKind::Source(s) => {
            let p = plan.bind(s.as_str().to_string());
            format!("c.source = {p}")
        }
        TermKind::Delivery(m) => {
            let cond = match m {
                DeliveryMatch::Failed => "d.failed = 1".to_string(),
                DeliveryMatch::Ok => "d.failed = 0".to_string(),
                DeliveryMatch::Status(StatusMatch::None) => "d.response_code IS NULL".to_string(),
                DeliveryMatch::Status(StatusMatch::Code(code)) => {
                    let p = plan.bind(i64::from(*code));
                    format!("d.response_code = {p}")
                }
                DeliveryMatch::Status(StatusMatch::Class(class)) => {
                    let p = plan.bind(i64::from(*class));
                    format!("d.response_code / 100 = {p}")
                }
            };
            format!(
                "EXISTS (SELECT 1 FROM dataspike_deliveries d WHERE d.capture_id = c.id AND {cond})"
            )
        }
        TermKind::Json { path, value, .. } => {
            let p = plan.bind(json_path(path));
            // json_extract raises an error on malformed JSON; CASE evaluates it only on valid.
            let guarded = |f: &str| {
                format!(
                    "CASE WHEN json_valid(CAST(c.body AS TEXT)) THEN {f}(CAST(c.body AS TEXT), {p}) END"
                )
            };
            match value {
                JsonValue::Text(s) => {
                    let v = plan.bind(s.clone());
                    format!("{} = {v} COLLATE NOCASE", guarded("json_extract"))
                }
                JsonValue::Number { value, text } => {
                    let n = plan.bind(*value);
                    let s = plan.bind(text.clone());
                    format!("{} IN ({n}, {s})", guarded("json_extract"))
                }
                JsonValue::Bool(b) => {
                    let v = plan.bind(if *b { "true" } else { "false" }.to_string());
                    format!("{} = {v}", guarded("json_type"))
                }
                JsonValue::Null => {
                    let v = plan.bind("null".to_string());
                    format!("{} = {v}", guarded("json_type"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn plan_of(text: &str) -> Plan {
        plan(&ListQuery {
            query: parse(text, 0).unwrap(),
            ..ListQuery::default()
        })
    }

    #[test]
    fn words_drive_from_the_text_index() {
        let p = plan_of("rare-path scree* -sandbox badge:FAIL");
        assert!(p.indexed);
        assert_eq!(p.key, "captures_fts.rowid");
        assert_eq!(p.conds[0], "captures_fts MATCH ?1");
        assert_eq!(
            p.params[0],
            Value::Text("(\"rare-path\" AND \"scree\" *) NOT \"sandbox\"".into())
        );
        assert_eq!(p.conds[1], "+c.verdict IN (?2, ?3)");
        assert_eq!(p.conds.len(), 2);
    }

    #[test]
    fn user_values_are_parameters_never_sql() {
        let p = plan_of("\"x'); DROP TABLE captures; --\" path:/'; event:\"a'b\"");
        let sql = p.where_sql();
        assert!(!sql.contains("DROP") && !sql.contains("'b"), "{sql}");
        assert_eq!(
            p.params[0],
            Value::Text("(\"x'); DROP TABLE captures; --\")".into())
        );
    }

    #[test]
    fn a_status_drives_from_attempts_when_no_word_does() {
        let p = plan_of("status:5xx badge:FAIL");
        assert!(p.indexed);
        assert_eq!(p.key, "a.capture_id");
        assert_eq!(p.conds[0], "a.status / 100 = ?1");
        assert!(p.conds[1].starts_with("a.id = (SELECT max(x.id)"));
        assert_eq!(p.conds.len(), 3, "{:?}", p.conds);
        let p = plan_of("status:401");
        assert_eq!(p.conds[..2], ["a.status / 100 = ?1", "a.status = ?2"]);
        assert_eq!(p.params[..2], [Value::Integer(4), Value::Integer(401)]);
        // Negated or `none`: a condition per row, no index.
        assert!(!plan_of("-status:5xx").indexed);
        assert!(!plan_of("status:none").indexed);
    }

    #[test]
    fn fields_alone_scan_in_id_order() {
        for q in [
            "badge:FAIL",
            "path:/x",
            "since:2h",
            "-word",
            "FAIL",
            "401",
            "x=1",
        ] {
            let p = plan_of(q);
            assert!(!p.indexed, "{q}");
            assert_eq!(p.key, "c.id", "{q}");
        }
    }

    #[test]
    fn json_conditions_and_their_prefilter() {
        let p = plan_of("payload.risk_score.type=High");
        assert!(
            p.indexed,
            "a plain text value narrows through the index first"
        );
        assert_eq!(p.params[0], Value::Text("(\"High\")".into()));
        assert_eq!(p.params[1], Value::Text("$.payload.risk_score.type".into()));
        // Values a serializer may escape, numbers and inequality: no prefilter.
        for q in [
            "name=José",
            "a=\"<b>\"",
            "score=80",
            "status!=verified",
            "-a=b",
        ] {
            assert!(!plan_of(q).indexed, "{q}");
        }
        let p = plan_of("items.0.risk-score!=1");
        assert!(p.conds[0].starts_with("NOT coalesce(CASE WHEN json_valid"));
        assert_eq!(p.params[0], Value::Text("$.items[0].\"risk-score\"".into()));
        // `-a!=b` is `a=b`.
        assert!(!plan_of("-a!=b").conds[0].starts_with("NOT"));
    }
}

#[cfg(test)]
mod random_queries {
    use super::*;
    use crate::query::parse;

    /// The fuzz target's invariants on many generated queries, in the normal test run: errors
    /// stay inside the input on character boundaries, accepted queries plan to SQL whose
    /// placeholders are all bound and which holds no text of the query.
    #[test]
    fn generated_queries_parse_or_point_inside_and_plan_safely() {
        let pieces = [
            "a",
            "FAIL",
            "--",
            "-",
            "\"",
            "\\",
            ":",
            "=",
            "!=",
            "*",
            " ",
            ".",
            "0",
            "401",
            "5xx",
            "status",
            "badge",
            "event",
            "path",
            "since",
            "before",
            "scheme",
            "source",
            "x.y",
            "é",
            "/",
            "'",
            ";",
            "2h",
            "2026-11-30",
            "none",
            "true",
            "null",
            "DROP",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = (next() % 8) as usize;
            let input: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            match parse(&input, 0) {
                Err(e) => {
                    assert!(e.start <= e.end && e.end <= input.len(), "{input:?}: {e:?}");
                    assert!(input.is_char_boundary(e.start) && input.is_char_boundary(e.end));
                    let _ = e.render(&input);
                }
                Ok(query) => {
                    let p = plan(&ListQuery {
                        query,
                        ..ListQuery::default()
                    });
                    let sql = format!("{} {}", p.from, p.where_sql());
                    assert!(!sql.contains('"') && !sql.contains(';'), "{input:?}: {sql}");
                    for (i, _) in sql.match_indices('?') {
                        let digits: String = sql[i + 1..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        let k: usize = digits.parse().unwrap_or(0);
                        assert!(k >= 1 && k <= p.params.len(), "{input:?}: {sql}");
                    }
                }
            }
        }
    }
}
