//! What is on screen, and in which order: one base [`Screen`] (the list, a capture's detail, or
//! a comparison) and the [`Overlay`]s opened over it, the newest on top. This order is the one
//! precedence: keys go to [`Stack::front`], drawing paints the screen and then the overlays
//! oldest first, the status line is the topmost overlay's that has one (else the screen's),
//! and Back closes what is in front. Pure state: nothing here draws or reads the store.

use ratatui::text::Line;

use super::compare::CompareData;
use super::detail_text::Tab;
use super::editor::Confirm;
use crate::capture::{Attempt, CaptureId};
use crate::query::QueryError;
use crate::store::StoredCapture;

/// The base of the screen, under any overlay.
#[derive(Debug, Clone, Default)]
pub enum Screen {
    #[default]
    List,
    Detail(Box<Detail>),
    /// A comparison; Back returns to the detail it was opened from, else to the list.
    Compare {
        compare: Box<Compare>,
        from: Option<Box<Detail>>,
    },
}

/// Something modal over the screen: while it is in front, keys go to it alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The filter being typed after `/`: keys are text.
    Prompt(Prompt),
    /// An edited JSON body waiting for `y`, `c` or `n`.
    PendingEdit(PendingEdit),
    /// The keys (`?`).
    Help,
    /// What `c`/`C` copied.
    Popup(Popup),
}

/// What is in front, by name: what key handling and Back match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    List,
    Detail,
    Compare,
    Prompt,
    PendingEdit,
    Help,
    Popup,
}

impl Screen {
    pub fn layer(&self) -> Layer {
        match self {
            Screen::List => Layer::List,
            Screen::Detail(_) => Layer::Detail,
            Screen::Compare { .. } => Layer::Compare,
        }
    }
}

impl Overlay {
    pub fn layer(&self) -> Layer {
        match self {
            Overlay::Prompt(_) => Layer::Prompt,
            Overlay::PendingEdit(_) => Layer::PendingEdit,
            Overlay::Help => Layer::Help,
            Overlay::Popup(_) => Layer::Popup,
        }
    }
}

/// The screen and its overlays, at most one of each kind.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    screen: Screen,
    /// Oldest first: the order they are drawn in.
    overlays: Vec<Overlay>,
}

impl Stack {
    /// What gets the keys: the newest overlay, else the screen.
    pub fn front(&self) -> Layer {
        self.overlays
            .last()
            .map_or(self.screen.layer(), Overlay::layer)
    }

    /// Whether `layer` is open, in front or under something.
    pub fn is_open(&self, layer: Layer) -> bool {
        self.screen.layer() == layer || self.overlays.iter().any(|o| o.layer() == layer)
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Oldest first: the order they are drawn in.
    pub fn overlays(&self) -> &[Overlay] {
        &self.overlays
    }

    /// Opens `overlay` in front; an open one of its kind is replaced.
    pub fn open(&mut self, overlay: Overlay) {
        self.close(overlay.layer());
        self.overlays.push(overlay);
    }

    /// Closes the overlay of this kind, wherever it is, and hands it back.
    pub fn close(&mut self, layer: Layer) -> Option<Overlay> {
        let at = self.overlays.iter().position(|o| o.layer() == layer)?;
        Some(self.overlays.remove(at))
    }

    pub fn open_detail(&mut self, id: CaptureId) {
        self.screen = Screen::Detail(Box::new(Detail::new(id)));
    }

    /// Opens a comparison over the screen; a detail under it is kept to return to.
    pub fn open_compare(&mut self, compare: Compare) {
        let from = match std::mem::take(&mut self.screen) {
            Screen::Detail(d) => Some(d),
            Screen::Compare { from, .. } => from,
            Screen::List => None,
        };
        self.screen = Screen::Compare {
            compare: Box::new(compare),
            from,
        };
    }

    /// Closes the screen back one step: a comparison to its detail (or the list), a detail to
    /// the list.
    pub fn close_screen(&mut self) {
        self.screen = match std::mem::take(&mut self.screen) {
            Screen::Compare { from: Some(d), .. } => Screen::Detail(d),
            _ => Screen::List,
        };
    }

    /// Closes the comparison, if one is open.
    pub fn close_compare(&mut self) {
        if self.screen.layer() == Layer::Compare {
            self.close_screen();
        }
    }

    /// Closes the detail, also one under a comparison.
    pub fn close_detail(&mut self) {
        match &mut self.screen {
            Screen::Detail(_) => self.screen = Screen::List,
            Screen::Compare { from, .. } => *from = None,
            Screen::List => {}
        }
    }

    /// The open detail, also one under a comparison.
    pub fn detail(&self) -> Option<&Detail> {
        match &self.screen {
            Screen::Detail(d) => Some(d.as_ref()),
            Screen::Compare { from, .. } => from.as_deref(),
            Screen::List => None,
        }
    }

    pub fn detail_mut(&mut self) -> Option<&mut Detail> {
        match &mut self.screen {
            Screen::Detail(d) => Some(d.as_mut()),
            Screen::Compare { from, .. } => from.as_deref_mut(),
            Screen::List => None,
        }
    }

    pub fn compare(&self) -> Option<&Compare> {
        match &self.screen {
            Screen::Compare { compare, .. } => Some(compare.as_ref()),
            _ => None,
        }
    }

    pub fn compare_mut(&mut self) -> Option<&mut Compare> {
        match &mut self.screen {
            Screen::Compare { compare, .. } => Some(compare.as_mut()),
            _ => None,
        }
    }

    pub fn prompt(&self) -> Option<&Prompt> {
        self.overlays.iter().find_map(|o| match o {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        })
    }

    pub fn prompt_mut(&mut self) -> Option<&mut Prompt> {
        self.overlays.iter_mut().find_map(|o| match o {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        })
    }

    pub fn pending_edit(&self) -> Option<&PendingEdit> {
        self.overlays.iter().find_map(|o| match o {
            Overlay::PendingEdit(p) => Some(p),
            _ => None,
        })
    }

    /// Closes the question after an edit and hands it back.
    pub fn take_pending_edit(&mut self) -> Option<PendingEdit> {
        match self.close(Layer::PendingEdit)? {
            Overlay::PendingEdit(p) => Some(p),
            _ => None,
        }
    }

    pub fn popup(&self) -> Option<&Popup> {
        self.overlays.iter().find_map(|o| match o {
            Overlay::Popup(p) => Some(p),
            _ => None,
        })
    }

    pub fn popup_mut(&mut self) -> Option<&mut Popup> {
        self.overlays.iter_mut().find_map(|o| match o {
            Overlay::Popup(p) => Some(p),
            _ => None,
        })
    }
}

/// The loaded capture of an open detail, with each tab's text laid out once per load.
#[derive(Debug, Clone)]
pub struct DetailData {
    pub capture: StoredCapture,
    pub attempts: Vec<Attempt>,
    pub lines: [Vec<Line<'static>>; 4],
    /// Body tab lines holding a word of the filter (highlighted), in order: `n`/`N` go there.
    pub matches: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub id: CaptureId,
    pub tab: Tab,
    /// First shown line of each tab.
    pub scroll: [usize; 4],
    /// `None` until [`crate::tui::app::App::refresh`] has read the capture.
    pub data: Option<DetailData>,
    pub(super) stale: bool,
}

impl Detail {
    fn new(id: CaptureId) -> Detail {
        Detail {
            id,
            tab: Tab::Overview,
            scroll: [0; 4],
            data: None,
            stale: true,
        }
    }

    pub fn lines(&self) -> &[Line<'static>] {
        self.data
            .as_ref()
            .map(|d| d.lines[self.tab.index()].as_slice())
            .unwrap_or(&[])
    }

    pub fn scroll(&self) -> usize {
        self.scroll[self.tab.index()]
    }

    pub(super) fn scroll_to(&mut self, line: usize) {
        let last = self.lines().len().saturating_sub(1);
        self.scroll[self.tab.index()] = line.min(last);
    }
}

/// The compare screen: `left` against `right`, or against what `left`'s latest edited replay
/// sent when `right` is `None`.
#[derive(Debug, Clone)]
pub struct Compare {
    pub left: CaptureId,
    pub right: Option<CaptureId>,
    /// First shown row.
    pub scroll: usize,
    /// `None` until [`crate::tui::app::App::refresh`] has read both sides.
    pub data: Option<CompareData>,
    pub(super) stale: bool,
}

impl Compare {
    pub fn new(left: CaptureId, right: Option<CaptureId>) -> Compare {
        Compare {
            left,
            right,
            scroll: 0,
            data: None,
            stale: true,
        }
    }
}

/// Text shown over everything, to select by hand (what `c` and `C` copied) or to read (the
/// last notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    pub title: String,
    pub lines: Vec<String>,
    /// First shown row of [`Popup::rows`].
    pub scroll: usize,
    pub reflow: Reflow,
}

/// How a popup's long lines become rows; never cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reflow {
    /// Every character kept, spaces included, so a selection by hand copies all of it.
    Exact,
    /// Between words, for reading.
    Words,
}

impl Popup {
    /// The lines wrapped into rows of `width` columns.
    pub fn rows(&self, width: u16) -> Vec<String> {
        let width = usize::from(width).max(1);
        self.lines
            .iter()
            .flat_map(|l| match self.reflow {
                Reflow::Exact => super::fit::wrap(l, width),
                Reflow::Words => super::fit::wrap_words(l, width),
            })
            .collect()
    }
}

/// The filter being typed after `/`, and why Enter did not apply it (its range marks the
/// offending token).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub error: Option<QueryError>,
}

/// An edited JSON body waiting for the user's answer: send it as saved, compacted, or not at
/// all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEdit {
    pub id: CaptureId,
    pub confirm: Confirm,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_overlay_is_in_front_and_one_of_a_kind() {
        let mut s = Stack::default();
        assert_eq!(s.front(), Layer::List);
        s.open_detail(7);
        s.open(Overlay::Help);
        assert_eq!(s.front(), Layer::Help);
        s.open(Overlay::Prompt(Prompt::default()));
        s.open(Overlay::Help);
        assert_eq!(s.front(), Layer::Help);
        assert_eq!(s.overlays().len(), 2, "the older help was replaced");
        s.close(Layer::Help);
        assert_eq!(s.front(), Layer::Prompt);
        s.close(Layer::Prompt);
        assert_eq!(s.front(), Layer::Detail);
    }

    #[test]
    fn a_comparison_returns_to_the_detail_it_was_opened_from() {
        let mut s = Stack::default();
        s.open_detail(7);
        s.open_compare(Compare::new(3, Some(7)));
        assert_eq!(s.front(), Layer::Compare);
        assert_eq!(s.detail().map(|d| d.id), Some(7), "kept under it");
        s.close_screen();
        assert_eq!(s.front(), Layer::Detail);
        s.close_screen();
        assert_eq!(s.front(), Layer::List);
        s.open_compare(Compare::new(3, None));
        s.close_compare();
        assert_eq!(s.front(), Layer::List);
    }
}
