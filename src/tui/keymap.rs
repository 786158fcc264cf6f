//! The keymap is data: a list of key -> [`Action`] bindings. [`Action`] knows no keys, so the
//! footer and the help overlay are generated from the same table the input handler reads.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Everything the user can ask for, independent of which key asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Into the detail; inside it, the next tab.
    Open,
    PrevTab,
    /// Re-signed when a secret is loaded, as received otherwise.
    Replay,
    ReplayExact,
    EditReplay,
    Export,
    /// Marks the selected capture for [`Action::Compare`].
    Mark,
    /// With a mark: the marked capture against the selected one; without: the selected one
    /// against what its latest edited replay sent.
    Compare,
    /// The selected capture as a curl command, to the clipboard and a popup.
    CopyCurl,
    /// The selected capture's body, to the clipboard and a popup.
    CopyBody,
    /// Filters the list to every delivery of the selected capture's event.
    SameEvent,
    Filter,
    /// The next line of the body holding a word of the filter.
    NextMatch,
    PrevMatch,
    Follow,
    Help,
    /// The last notice in full, in a popup (the status line cuts a long one).
    LastNotice,
    /// Closes the innermost overlay, prompt, detail or filter.
    Back,
    Quit,
}

impl Action {
    /// One line for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "move up / scroll up",
            Action::Down => "move down / scroll down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "newest / top",
            Action::Bottom => "oldest / bottom",
            Action::Open => "open the detail, then the next tab",
            Action::PrevTab => "previous tab",
            Action::Replay => "replay, re-signed when a secret is loaded (as captured otherwise)",
            Action::ReplayExact => "replay byte for byte, original signature included",
            Action::EditReplay => "edit the body in $EDITOR, then replay it re-signed if changed",
            Action::Export => "export as a fixture into ./fixtures/ (never overwrites)",
            Action::Mark => "mark for compare (again: unmark)",
            Action::Compare => "compare with the mark, or with the latest edited replay",
            Action::CopyCurl => "copy as curl (re-signed when a secret is loaded)",
            Action::CopyBody => "copy the body",
            Action::SameEvent => "every delivery of this event (the sender's retries)",
            Action::Filter => "filter: words, badge:FAIL status:5xx a.b=x ...",
            Action::NextMatch => "next match of the filter in the body",
            Action::PrevMatch => "previous match of the filter in the body",
            Action::Follow => "follow new captures on/off",
            Action::Help => "this help",
            Action::LastNotice => "the last notice in full",
            Action::Back => "close help / popup / compare / filter / detail",
            Action::Quit => "quit",
        }
    }
}

impl Action {
    /// The action whose help row also lists this one.
    fn shown_with(self) -> Option<Action> {
        match self {
            Action::NextMatch | Action::PrevMatch => Some(Action::Filter),
            Action::CopyBody => Some(Action::CopyCurl),
            Action::LastNotice => Some(Action::Help),
            _ => None,
        }
    }

    /// The help text of a row that also lists its companions' keys.
    fn describe_with_companions(self) -> &'static str {
        match self {
            Action::Filter => "filter (badge:FAIL status:5xx...); n/N: next/previous match",
            Action::CopyCurl => "copy as curl (re-signed if a secret is loaded); C: the body",
            Action::Help => "this help; !: the last notice in full",
            other => other.describe(),
        }
    }
}

/// A key with its modifiers, e.g. `Ctrl-C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    /// The key of a terminal event. Shift is dropped for characters because the character
    /// already carries it (`R` arrives as Shift+`R` on some terminals and plain `R` on others).
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut modifiers = ev.modifiers;
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Key {
            code: ev.code,
            modifiers,
        }
    }

    /// Short label for the footer and help: `j`, `↓`, `PgDn`, `C-c`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Esc => "Esc".into(),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else {
            base
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub action: Action,
}

/// Footer entries in display order: the actions shown, their short label, and their rank
/// (0 is the last dropped when the footer is narrower than all of them).
const FOOTER: &[(&[Action], &str, u8)] = &[
    (&[Action::Down, Action::Up], "move", 8),
    (&[Action::Open], "detail", 3),
    (&[Action::Replay], "replay", 2),
    (&[Action::ReplayExact], "byte for byte", 5),
    (&[Action::EditReplay], "edit+replay", 6),
    (&[Action::Export], "export", 7),
    (&[Action::Filter], "filter", 4),
    (&[Action::Follow], "follow", 9),
    (&[Action::Help], "help", 0),
    (&[Action::Quit], "quit", 1),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        use Action as A;
        use KeyCode as K;
        let table = [
            (Key::ch('k'), A::Up),
            (Key::plain(K::Up), A::Up),
            (Key::ch('j'), A::Down),
            (Key::plain(K::Down), A::Down),
            (Key::plain(K::PageUp), A::PageUp),
            (Key::plain(K::PageDown), A::PageDown),
            (Key::ch('g'), A::Top),
            (Key::plain(K::Home), A::Top),
            (Key::ch('G'), A::Bottom),
            (Key::plain(K::End), A::Bottom),
            (Key::plain(K::Enter), A::Open),
            (Key::plain(K::Tab), A::Open),
            (Key::plain(K::BackTab), A::PrevTab),
            (Key::ch('r'), A::Replay),
            (Key::ch('R'), A::ReplayExact),
            (Key::ch('e'), A::EditReplay),
            (Key::ch('x'), A::Export),
            (Key::ch('m'), A::Mark),
            (Key::ch('d'), A::Compare),
            (Key::ch('c'), A::CopyCurl),
            (Key::ch('C'), A::CopyBody),
            (Key::ch('E'), A::SameEvent),
            (Key::ch('/'), A::Filter),
            (Key::ch('n'), A::NextMatch),
            (Key::ch('N'), A::PrevMatch),
            (Key::ch('f'), A::Follow),
            (Key::ch('?'), A::Help),
            (Key::ch('!'), A::LastNotice),
            (Key::plain(K::Esc), A::Back),
            (Key::ch('q'), A::Quit),
            (Key::ctrl('c'), A::Quit),
        ];
        Keymap {
            bindings: table
                .into_iter()
                .map(|(key, action)| Binding { key, action })
                .collect(),
        }
    }
}

impl Keymap {
    #[cfg(test)]
    pub fn new(bindings: Vec<Binding>) -> Keymap {
        Keymap { bindings }
    }

    /// The action bound to a key press; releases and repeats of releases are ignored.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let key = Key::from_event(ev);
        self.bindings
            .iter()
            .find(|b| b.key == key)
            .map(|b| b.action)
    }

    /// Every key bound to `action`, in table order.
    pub fn keys_for(&self, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|b| b.action == action)
            .map(|b| b.key)
            .collect()
    }

    /// `j/k move  Enter detail/tab  r replay ...`: the first key of each footer action, its
    /// label and its rank.
    pub fn footer(&self) -> Vec<(String, &'static str, u8)> {
        FOOTER
            .iter()
            .filter_map(|(actions, label, rank)| {
                let keys: Vec<String> = actions
                    .iter()
                    .filter_map(|a| self.keys_for(*a).first().map(Key::label))
                    .collect();
                (!keys.is_empty()).then(|| (keys.join("/"), *label, *rank))
            })
            .collect()
    }

    /// Help rows: all keys of an action joined, with its description, in first-binding order.
    /// An action listed on another's row (the row then shows both keys), to keep the
    /// overlay within 24 lines.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        let mut seen = Vec::new();
        for b in &self.bindings {
            if !seen.contains(&b.action) && b.action.shown_with().is_none() {
                seen.push(b.action);
            }
        }
        seen.into_iter()
            .map(|a| {
                let mut keys: Vec<String> = self.keys_for(a).iter().map(Key::label).collect();
                let mut describe = a.describe();
                for b in &self.bindings {
                    if b.action.shown_with() == Some(a) {
                        keys.push(b.key.label());
                        describe = a.describe_with_companions();
                    }
                }
                (keys.join(" "), describe)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn shifted_letters_and_ctrl_c_resolve() {
        let map = Keymap::default();
        let shift_r = press(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shift_r), Some(Action::ReplayExact));
        let r = press(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.action(&r), Some(Action::Replay));
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_c), Some(Action::Quit));
        let c = press(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(map.action(&c), Some(Action::CopyCurl));
        let shift_c = press(KeyCode::Char('C'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shift_c), Some(Action::CopyBody));
        let back_tab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.action(&back_tab), Some(Action::PrevTab));
    }

    #[test]
    fn releases_are_ignored() {
        let mut ev = press(KeyCode::Char('q'), KeyModifiers::NONE);
        ev.kind = KeyEventKind::Release;
        assert_eq!(Keymap::default().action(&ev), None);
    }

    #[test]
    fn footer_and_help_follow_the_table() {
        let map = Keymap::new(vec![
            Binding {
                key: Key::ch('z'),
                action: Action::Quit,
            },
            Binding {
                key: Key::ctrl('d'),
                action: Action::Quit,
            },
        ]);
        assert_eq!(map.footer(), vec![("z".to_string(), "quit", 1)]);
        assert_eq!(map.help(), vec![("z C-d".to_string(), "quit")]);
        let default = Keymap::default().footer();
        assert_eq!(default[0], ("j/k".to_string(), "move", 8));
    }

    #[test]
    fn every_action_has_a_key() {
        use Action::*;
        let map = Keymap::default();
        for a in [
            Up,
            Down,
            PageUp,
            PageDown,
            Top,
            Bottom,
            Open,
            PrevTab,
            Replay,
            ReplayExact,
            EditReplay,
            Export,
            Mark,
            Compare,
            CopyCurl,
            CopyBody,
            Filter,
            NextMatch,
            PrevMatch,
            Follow,
            Help,
            LastNotice,
            Back,
            Quit,
        ] {
            assert!(!map.keys_for(a).is_empty(), "{a:?} has no key");
        }
    }
}
