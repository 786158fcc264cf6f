//! Two lines: where hookscope listens, relays and forwards, then the relay's state, the verdict
//! tally and list state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::{fitted_items, fitted_line, Item};
use crate::tui::app::App;
use crate::tui::fit::Cut;

/// Header items by rank: at a narrow width the highest ranks are left out whole.
const RANK_LISTEN: u8 = 0;
/// Outlasts the forward target: under the local development secret, a newcomer must see that
/// real Dataspike deliveries will not verify.
const RANK_DEV_SECRET: u8 = 1;
const RANK_FORWARD: u8 = 2;
/// After the forward target on a tie: the later item goes first.
const RANK_SECRETS: u8 = 2;
/// With `--relay`, deliveries come through the relay: the local listen URL gives way before
/// the forward target and the secrets.
const RANK_LISTEN_BEHIND_RELAY: u8 = 3;
/// `answering 503 to each event's first 2 deliveries`: gives way before where it forwards.
const RANK_CHOSEN: u8 = 3;
const RANK_NAME: u8 = 4;
/// The second route and later: after the name, in order.
const RANK_ROUTES: u8 = 4;
const RANK_TALLY: u8 = 0;
const RANK_NEWER_ABOVE: u8 = 1;
const RANK_MARK: u8 = 2;
const RANK_FOLLOW: u8 = 3;
const RANK_ANSWERS: u8 = 4;
const RANK_SINCE: u8 = 5;
const RANK_RELAY_STATE: u8 = 0;
const RANK_RELAY_URL: u8 = 1;
/// The relay URL is cut from the middle (down to [`RELAY_URL_MIN`]) once the name has gone,
/// before the local listen URL, the forward target or the secrets give way.
const CUT_RELAY_URL: Cut = Cut {
    min: "relay ".len() + RELAY_URL_MIN,
    rank: RANK_LISTEN_BEHIND_RELAY,
};
/// Columns a cut relay URL keeps: its scheme and the end of the channel id (`https://…AAAAAAA`).
const RELAY_URL_MIN: usize = 16;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = vec![
        fitted_items(first_line(app), area.width, "  "),
        fitted_line(second_line(app), area.width, " "),
    ];
    Paragraph::new(lines).render(area, buf);
}

type Ranked<'a> = (u8, Vec<Span<'a>>);

/// The name, where hookscope listens (and, with `--relay`, the relay's URL), where it forwards,
/// and the secrets.
fn first_line(app: &App) -> Vec<Item<'static>> {
    let t = app.theme;
    let mut top = vec![(RANK_NAME, vec![Span::styled("hookscope", t.title())])];
    let listen_rank = match app.relay {
        Some(_) => RANK_LISTEN_BEHIND_RELAY,
        None => RANK_LISTEN,
    };
    top.push((
        listen_rank,
        match &app.setup.listen_url {
            Some(url) => vec![
                Span::styled("listening ", t.dim()),
                Span::styled(url.clone(), t.accent()),
            ],
            None => vec![Span::styled("not listening (browsing the store)", t.dim())],
        },
    ));
    top.extend(forward_items(app));
    if let Some(chosen) = &app.setup.chosen {
        top.push((
            RANK_CHOSEN,
            vec![
                Span::styled("answering ", t.dim()),
                Span::styled(chosen.clone(), t.warn()),
            ],
        ));
    }
    top.push(secrets_item(app));
    let mut top: Vec<Item<'_>> = top.into_iter().map(Item::whole).collect();
    if let Some((url, _)) = &app.relay {
        top.insert(
            2,
            Item {
                rank: RANK_RELAY_URL,
                spans: vec![
                    Span::styled("relay ", t.dim()),
                    Span::styled(url.clone(), t.accent()),
                ],
                cut: Some(CUT_RELAY_URL),
            },
        );
    }
    top
}

/// The forward target and whether it is up, or the routes, each an item: the later ones go
/// first when the line is narrow.
fn forward_items(app: &App) -> Vec<Ranked<'static>> {
    let t = app.theme;
    let routes = &app.setup.routes;
    if let Some(first) = routes.first() {
        let mut items = vec![(
            RANK_FORWARD,
            vec![Span::styled("routes ", t.dim()), Span::raw(first.clone())],
        )];
        for (i, r) in routes.iter().enumerate().skip(1) {
            let rank = RANK_ROUTES.saturating_add(i as u8);
            items.push((rank, vec![Span::raw(r.clone())]));
        }
        return items;
    }
    let mut forward = vec![Span::styled("forward ", t.dim())];
    match &app.setup.forward_target {
        Some(target) => {
            forward.push(Span::raw(target.clone()));
            forward.push(match app.reachable {
                Some(true) => Span::styled(" (reachable)", t.ok()),
                Some(false) => Span::styled(" (unreachable)", t.error()),
                None => Span::styled(" (not probed yet)", t.dim()),
            });
            if let Some(only) = &app.setup.forward_events {
                forward.push(Span::styled(format!(" {only}"), t.warn()));
            }
        }
        None => forward.push(Span::styled("off", t.dim())),
    }
    vec![(RANK_FORWARD, forward)]
}

fn secrets_item(app: &App) -> Ranked<'static> {
    let t = app.theme;
    let n = app.setup.secrets_loaded;
    let dev = app.setup.dev_secret.is_some();
    // The webhook listen registered outlasts the forward target too: it is why deliveries
    // verify at all.
    if let Some(reg) = &app.setup.registered {
        return (
            RANK_DEV_SECRET,
            vec![
                Span::styled("secrets ", t.dim()),
                Span::styled(reg.clone(), t.ok()),
            ],
        );
    }
    (
        if dev { RANK_DEV_SECRET } else { RANK_SECRETS },
        vec![
            Span::styled("secrets ", t.dim()),
            if dev {
                Span::styled("local dev secret (not Dataspike's)", t.warn())
            } else if n == 0 {
                Span::styled("none (signatures unverified)", t.warn())
            } else {
                Span::raw(n.to_string())
            },
        ],
    )
}

/// The relay's state, the verdict tally, following, and what is worth knowing about the list
/// and the app's answers.
fn second_line(app: &App) -> Vec<Ranked<'static>> {
    let t = app.theme;
    let tally = app.tally;
    let mut second = vec![
        (
            RANK_TALLY,
            vec![
                Span::styled("PASS ", t.badge(crate::signature::Status::Valid)),
                Span::raw(tally.pass.to_string()),
                Span::styled("  FAIL ", t.badge(crate::signature::Status::Invalid)),
                Span::raw(tally.fail.to_string()),
                Span::styled("  other ", t.dim()),
                Span::raw(tally.other.to_string()),
            ],
        ),
        (RANK_SINCE, vec![Span::styled("since start", t.dim())]),
        (
            RANK_FOLLOW,
            vec![
                Span::styled("  follow ", t.dim()),
                if app.follow {
                    Span::styled("on", t.ok())
                } else {
                    Span::styled("off", t.warn())
                },
            ],
        ),
    ];
    // With `listen --relay`: its state leads the line (its URL joins the first line), two
    // spaces after it, as between the other items.
    if let Some((_, state)) = &app.relay {
        let (text, bad) = crate::conn::state_text(state, crate::tui::hint::words);
        let style = if bad { t.error() } else { t.ok() };
        let relay = vec![
            Span::styled("relay ", t.dim()),
            Span::styled(text, style),
            Span::raw("  "),
        ];
        second.insert(0, (RANK_RELAY_STATE, relay));
    }
    second.extend(list_and_answers(app));
    second
}

/// The forward queue, newer captures above, the mark, and the app's answers and latency.
fn list_and_answers(app: &App) -> Vec<Ranked<'static>> {
    let t = app.theme;
    let mut items = Vec::new();
    if app.forward_queue > 0 {
        let queue = format!("  forward queue {}", app.forward_queue);
        items.push((RANK_TALLY, vec![Span::styled(queue, t.warn())]));
    }
    if app.stack.detail().is_none() && app.window.more_above() {
        let above = Span::styled("  ▲ newer captures above (g)", t.warn());
        items.push((RANK_NEWER_ABOVE, vec![above]));
    }
    if let Some(m) = app.mark {
        let mark = Span::styled(format!("  marked #{m}"), t.accent());
        items.push((RANK_MARK, vec![mark]));
    }
    // The app's numbers go first in a narrow terminal, before the hints and the mark.
    let answers = app.totals.answers.classes();
    if !answers.is_empty() {
        let parts: Vec<String> = answers.iter().map(|(c, n)| format!("{c} {n}")).collect();
        items.push((
            RANK_ANSWERS,
            vec![
                Span::styled("  app ", t.dim()),
                Span::raw(parts.join(" ")),
                Span::styled(format!("  {}", app.totals.latency().short()), t.dim()),
            ],
        ));
    }
    items
}
