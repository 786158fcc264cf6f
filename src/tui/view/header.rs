//! Two lines: where hookscope listens and forwards, then the verdict tally and list state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let mut top = vec![Span::styled("hookscope ", t.title())];
    match &app.setup.listen_url {
        Some(url) => {
            top.push(Span::styled("listening ", t.dim()));
            top.push(Span::styled(url.clone(), t.accent()));
        }
        None => top.push(Span::styled("not listening (browsing the store)", t.dim())),
    }
    top.push(Span::styled("  forward ", t.dim()));
    match &app.setup.forward_target {
        Some(target) => {
            top.push(Span::raw(target.clone()));
            top.push(match app.reachable {
                Some(true) => Span::styled(" (reachable)", t.ok()),
                Some(false) => Span::styled(" (unreachable)", t.error()),
                None => Span::styled(" (not probed yet)", t.dim()),
            });
        }
        None => top.push(Span::styled("off", t.dim())),
    }
    let n = app.setup.secrets_loaded;
    top.push(Span::styled("  secrets ", t.dim()));
    top.push(if app.setup.dev_secret {
        Span::styled("local dev secret (not Dataspike's)", t.warn())
    } else if n == 0 {
        Span::styled("none (signatures unverified)", t.warn())
    } else {
        Span::raw(n.to_string())
    });

    let tally = app.tally;
    let mut second = vec![
        Span::styled("PASS ", t.badge(crate::signature::Status::Valid)),
        Span::raw(tally.pass.to_string()),
        Span::styled("  FAIL ", t.badge(crate::signature::Status::Invalid)),
        Span::raw(tally.fail.to_string()),
        Span::styled("  other ", t.dim()),
        Span::raw(tally.other.to_string()),
        Span::styled(" since start", t.dim()),
        Span::styled("   follow ", t.dim()),
        if app.follow {
            Span::styled("on", t.ok())
        } else {
            Span::styled("off", t.warn())
        },
    ];
    if app.forward_queue > 0 {
        second.push(Span::styled(
            format!("   forward queue {}", app.forward_queue),
            t.warn(),
        ));
    }
    if app.detail.is_none() && app.window.more_above() {
        second.push(Span::styled("   ▲ newer captures above (g)", t.warn()));
    }
    Paragraph::new(vec![Line::from(top), Line::from(second)]).render(area, buf);
}
