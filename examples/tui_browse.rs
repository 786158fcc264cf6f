//! Opens a stored database in the TUI without listening, and prints the commands (replay,
//! export) it asked for when it closes. For trying the TUI before `hookscope tui` is wired up:
//!
//! ```text
//! cargo run --example tui_browse -- path/to/hookscope.db [secrets-loaded]
//! ```

use anyhow::Context;

use hookscope::tui::{run, TuiContext};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let db_path = args
        .next()
        .context("usage: tui_browse <db> [secrets-loaded]")?;
    let secrets_loaded = match args.next() {
        Some(n) => n.parse().context("secrets-loaded must be a number")?,
        None => 0,
    };
    let (_reports_tx, reports) = hookscope::report::channel();
    let (commands, mut asked) = tokio::sync::mpsc::unbounded_channel();
    run(TuiContext {
        db_path: db_path.into(),
        listen_url: None,
        forward_target: None,
        forward_events: None,
        routes: Vec::new(),
        secrets_loaded,
        dev_secret: false,
        resign_with: Vec::new(),
        registered: None,
        redact: None,
        chosen: None,
        reports,
        commands,
    })?;
    while let Ok(cmd) = asked.try_recv() {
        println!("{cmd:?}");
    }
    Ok(())
}
