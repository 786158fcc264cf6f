//! ARCHITECTURE.md's layering invariants, checked against the source so they stay true: flag
//! names only at the command-line edge, no core module reaching for the relay client, clap only
//! in the CLI, the use cases printing nothing, TUI state never importing its views.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as a path relative to `src/` with `/` separators.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// A file's production code: what comes before its test module, without comment lines.
fn production(text: &str) -> Vec<(usize, &str)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
        .collect()
}

fn is_test_file(rel: &str) -> bool {
    rel.contains("/tests/") || rel.ends_with("tests.rs") || rel.ends_with("/testing.rs")
}

/// `"... --flag-name ..."`: a flag named inside a string literal.
fn names_a_flag(line: &str) -> bool {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
            in_string = !in_string;
        } else if in_string
            && b == b'-'
            && bytes.get(i + 1) == Some(&b'-')
            && bytes.get(i + 2).is_some_and(u8::is_ascii_lowercase)
        {
            return true;
        }
    }
    false
}

#[test]
fn flag_names_appear_only_at_the_command_line_edge() {
    // curl.rs writes curl's own flags into the scripts it exports.
    let edge = ["cli.rs", "config.rs", "main.rs", "fixture/curl.rs"];
    let mut found = Vec::new();
    for (rel, text) in sources() {
        if edge.contains(&rel.as_str()) || rel.starts_with("commands/") || is_test_file(&rel) {
            continue;
        }
        for (n, line) in production(&text) {
            if names_a_flag(line) {
                found.push(format!("src/{rel}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "flag names below the command layer (return a Hint instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_core_module_imports_the_relay_client() {
    // The relay itself, the session that runs its feed and the command that configures it.
    let allowed = |rel: &str| {
        rel.starts_with("relay/") || rel.starts_with("session/") || rel == "commands/listen.rs"
    };
    let found: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, text)| !allowed(rel) && text.contains("relay::client"))
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(found.is_empty(), "import the relay client: {found:?}");
}

#[test]
fn clap_is_only_in_the_cli() {
    let found: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, text)| {
            !matches!(rel.as_str(), "cli.rs" | "main.rs")
                && production(text)
                    .iter()
                    .any(|(_, l)| l.contains("use clap") || l.contains("clap::"))
        })
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(found.is_empty(), "use clap outside cli.rs: {found:?}");
}

#[test]
fn the_use_cases_print_nothing_and_know_no_surface() {
    for (rel, text) in sources() {
        if !rel.starts_with("ops/") || is_test_file(&rel) {
            continue;
        }
        for (n, line) in production(&text) {
            for banned in [
                "println!",
                "eprintln!",
                "crate::cli",
                "crate::commands",
                "crate::tui",
            ] {
                assert!(
                    !line.contains(banned),
                    "src/{rel}:{n} uses {banned}: a use case returns outcomes, the surfaces word them"
                );
            }
        }
    }
}

#[test]
fn tui_state_never_imports_its_views() {
    for rel in ["tui/app.rs", "tui/stack.rs", "tui/app/keys.rs"] {
        let text = std::fs::read_to_string(src().join(rel)).unwrap();
        for (n, line) in production(&text) {
            assert!(
                !(line.contains("use ") && line.contains("view")),
                "src/{rel}:{n} imports a view: {line}"
            );
        }
    }
}

#[test]
fn the_flag_check_catches_what_it_should() {
    assert!(names_a_flag(
        r#"    "pass --secret or set HOOKSCOPE_SECRET".into(),"#
    ));
    assert!(!names_a_flag(r#"    let x = a - -b; // --not-in-a-string"#));
    assert!(!names_a_flag(r#"    "---- a separator""#));
}
