//! `hookscope completions SHELL` and `hookscope man`: generated from the real CLI definitions,
//! printed by the real binary.

use crate::common::*;

/// Subcommands every script and the man page must know.
const COMMANDS: [&str; 5] = ["listen", "list", "replay", "relay", "check"];

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains("hookscope"), "{shell}");
        for c in COMMANDS {
            assert!(script.contains(c), "{shell} script lacks '{c}'");
        }
        // Flags of a subcommand too, not only the names.
        assert!(
            script.contains("forward-to"),
            "{shell} script lacks --forward-to"
        );
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_prints_roff_for_hookscope_and_for_one_subcommand() {
    let o = run(&["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH hookscope"),
        "{page}"
    );
    assert!(page.contains(".TH hookscope 1"), "{page}");
    for c in COMMANDS {
        assert!(page.contains(c), "the page lacks '{c}'");
    }

    let o = run(&["man", "listen"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH hookscope-listen 1"), "{page}");
    assert!(page.contains("forward\\-to"), "{page}");

    let o = run(&["man", "lisen"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'lisen' is not a hookscope command") && stderr(&o).contains("listen"),
        "{}",
        stderr(&o)
    );
}
