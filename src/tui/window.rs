//! The list is a window over the store, not the store in memory: it holds one screenful of
//! summaries and an anchor saying which capture sits at the top. Scrolling moves the anchor by
//! id (keyset paging), so a page costs the same at row 10 and at row 1,000,000 and nothing ever
//! counts or skips rows by offset.

use crate::capture::{Attempt, CaptureId, CaptureSummary};
use crate::store::{ListQuery, Store, StoreError, StoredCapture};

/// Where the TUI reads captures from. The store is the real one; the trait keeps the window's
/// paging rules apart from SQL.
pub trait CaptureSource {
    /// Summaries matching `q`, newest first, below `q.before`.
    fn page(&self, q: &ListQuery) -> Result<Vec<CaptureSummary>, StoreError>;
    /// Summaries matching `q` with an id above `after`, oldest first.
    fn page_after(
        &self,
        q: &ListQuery,
        after: CaptureId,
    ) -> Result<Vec<CaptureSummary>, StoreError>;
    fn capture(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError>;
    fn attempts(&self, id: CaptureId) -> Result<Vec<Attempt>, StoreError>;
}

impl CaptureSource for Store {
    fn page(&self, q: &ListQuery) -> Result<Vec<CaptureSummary>, StoreError> {
        self.list(q)
    }

    fn page_after(
        &self,
        q: &ListQuery,
        after: CaptureId,
    ) -> Result<Vec<CaptureSummary>, StoreError> {
        self.list_after(q, after)
    }

    fn capture(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError> {
        self.get(id)
    }

    fn attempts(&self, id: CaptureId) -> Result<Vec<Attempt>, StoreError> {
        Store::attempts(self, id)
    }
}

/// Which capture is the top row of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The newest match: new captures push in at the top.
    Newest,
    /// This capture, or the next older match when it no longer matches.
    At(CaptureId),
    /// The match `n` rows newer than this capture (scrolling up past the loaded rows).
    Above(CaptureId, usize),
    /// The last screenful.
    Oldest,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    anchor: Anchor,
    /// Up to `height + 1` rows from the anchor down; the extra row only says more follow.
    rows: Vec<CaptureSummary>,
    /// Index of the selected row among the visible ones.
    cursor: usize,
    height: usize,
    /// Whether a match newer than the top row exists (shown as a hint when not at the top).
    more_above: bool,
    stale: bool,
}

impl Default for Window {
    fn default() -> Window {
        Window {
            anchor: Anchor::Newest,
            rows: Vec::new(),
            cursor: 0,
            height: 1,
            more_above: false,
            stale: true,
        }
    }
}

impl Window {
    pub fn anchor(&self) -> Anchor {
        self.anchor
    }

    pub fn visible(&self) -> &[CaptureSummary] {
        &self.rows[..self.rows.len().min(self.height)]
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn selected(&self) -> Option<&CaptureSummary> {
        self.visible().get(self.cursor)
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn more_above(&self) -> bool {
        self.more_above
    }

    pub fn more_below(&self) -> bool {
        self.rows.len() > self.height
    }

    /// Whether the selection is the newest match (nothing above, first row).
    pub fn at_top(&self) -> bool {
        self.anchor == Anchor::Newest && self.cursor == 0
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Gives up on a failed load until the next change asks again, so a broken store does
    /// not turn into a retry on every frame.
    pub fn abandon_load(&mut self) {
        self.stale = false;
    }

    pub fn set_height(&mut self, height: usize) {
        let height = height.max(1);
        if height != self.height {
            self.height = height;
            self.cursor = self.cursor.min(height - 1);
            self.stale = true;
        }
    }

    /// Updates a row in place (a replay's result) without a reload.
    pub fn patch(&mut self, id: CaptureId, f: impl FnOnce(&mut CaptureSummary)) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
            f(row);
        }
    }

    pub fn down(&mut self) {
        let visible = self.visible().len();
        if self.cursor + 1 < visible {
            self.cursor += 1;
        } else if self.more_below() {
            // rows[1] becomes the top; the selection stays on the last line.
            self.anchor = Anchor::At(self.rows[1].id);
            self.stale = true;
        }
    }

    pub fn up(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
        } else if let Some(top) = self.rows.first().filter(|_| self.anchor != Anchor::Newest) {
            self.anchor = Anchor::Above(top.id, 1);
            self.stale = true;
        }
    }

    pub fn page_down(&mut self) {
        if self.more_below() {
            // rows[height] is the first row below the screen: it becomes the top.
            self.anchor = Anchor::At(self.rows[self.height].id);
            self.stale = true;
        } else {
            self.cursor = self.visible().len().saturating_sub(1);
        }
    }

    pub fn page_up(&mut self) {
        match self.rows.first() {
            Some(top) if self.anchor != Anchor::Newest => {
                self.anchor = Anchor::Above(top.id, self.height);
                self.stale = true;
            }
            _ => self.cursor = 0,
        }
    }

    pub fn top(&mut self) {
        self.anchor = Anchor::Newest;
        self.cursor = 0;
        self.stale = true;
    }

    pub fn bottom(&mut self) {
        self.anchor = Anchor::Oldest;
        self.cursor = usize::MAX;
        self.stale = true;
    }

    /// Keeps the rows on screen where they are while new captures arrive above them.
    pub fn pin(&mut self) {
        if self.anchor == Anchor::Newest {
            if let Some(top) = self.rows.first() {
                self.anchor = Anchor::At(top.id);
            }
        }
        self.stale = true;
    }

    /// Reads the screenful the anchor asks for: at most three bounded queries.
    pub fn load(&mut self, src: &dyn CaptureSource, filter: &ListQuery) -> Result<(), StoreError> {
        let h = self.height;
        let page = |before: Option<CaptureId>, limit: usize| {
            src.page(&ListQuery {
                before,
                limit: Some(limit),
                ascending: false,
                ..filter.clone()
            })
        };
        let top = match self.anchor {
            Anchor::Newest => None,
            Anchor::At(id) => Some(id),
            Anchor::Above(id, n) => {
                let newer = src.page_after(
                    &ListQuery {
                        limit: Some(n),
                        ..filter.clone()
                    },
                    id,
                )?;
                if newer.len() < n {
                    // Fewer than asked exist above: this is the top. Move the cursor by what
                    // the view could not, so PgUp still lands a page up.
                    self.cursor = self.cursor.saturating_sub(n - newer.len());
                    self.anchor = Anchor::Newest;
                    None
                } else {
                    newer.last().map(|r| r.id)
                }
            }
            Anchor::Oldest => None,
        };
        let rows = if self.anchor == Anchor::Oldest {
            let mut rows = src.page(&ListQuery {
                before: None,
                limit: Some(h),
                ascending: true,
                ..filter.clone()
            })?;
            rows.reverse();
            rows
        } else {
            let rows = page(top.map(|t| t.saturating_add(1)), h + 1)?;
            if top.is_some() && rows.len() < h {
                // Scrolled past the end: show the last full screenful instead of a short one,
                // keeping the selection on the same capture.
                let short = rows.len();
                let mut full = src.page(&ListQuery {
                    before: None,
                    limit: Some(h),
                    ascending: true,
                    ..filter.clone()
                })?;
                full.reverse();
                self.cursor = self.cursor.saturating_add(full.len().saturating_sub(short));
                self.anchor = Anchor::Oldest;
                full
            } else {
                rows
            }
        };
        if let (Anchor::At(_), Some(first)) = (self.anchor, rows.first()) {
            // Pin to what is really on top, so a reload never slides when the anchor vanished.
            self.anchor = Anchor::At(first.id);
        }
        self.more_above = match (self.anchor, rows.first()) {
            (Anchor::Newest, _) | (_, None) => false,
            (_, Some(first)) => !src
                .page_after(
                    &ListQuery {
                        limit: Some(1),
                        ..filter.clone()
                    },
                    first.id,
                )?
                .is_empty(),
        };
        if !self.more_above {
            // Nothing above the top row: this is the newest page, whatever led here, so new
            // captures may push in again unless someone pins the window.
            self.anchor = Anchor::Newest;
        }
        self.rows = rows;
        self.cursor = self.cursor.min(self.visible().len().saturating_sub(1));
        self.stale = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Capture, EventInfo, Source};
    use crate::signature::Verdict;
    use crate::store::OpenMode;

    fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<CaptureId>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("w.db"), OpenMode::Create).unwrap();
        let captures: Vec<Capture> = (0..n)
            .map(|i| Capture {
                received_at_ms: 1_700_000_000_000 + i as i64,
                method: "POST".into(),
                path: if i % 3 == 0 {
                    "/three".into()
                } else {
                    "/hook".into()
                },
                query: None,
                headers: Vec::new(),
                body: format!("body {i}").into_bytes(),
                body_size: 6,
                truncated: false,
                rejected: None,
                peer: None,
                source: Source::Live,
                event: EventInfo::default(),
                verdict: Verdict::Unsigned,
                diagnostics: None,
            })
            .collect();
        let refs: Vec<&Capture> = captures.iter().collect();
        let ids = store.insert_captures(&refs).unwrap();
        (dir, store, ids)
    }

    fn shown(w: &Window) -> Vec<CaptureId> {
        w.visible().iter().map(|r| r.id).collect()
    }

    fn window(store: &Store, height: usize) -> Window {
        let mut w = Window::default();
        w.set_height(height);
        w.load(store, &ListQuery::default()).unwrap();
        w
    }

    #[test]
    fn opens_on_the_newest_screenful() {
        let (_d, store, ids) = store_with(10);
        let w = window(&store, 4);
        assert_eq!(shown(&w), vec![ids[9], ids[8], ids[7], ids[6]]);
        assert!(w.more_below());
        assert!(!w.more_above());
        assert_eq!(w.selected().map(|r| r.id), Some(ids[9]));
    }

    #[test]
    fn scrolls_down_and_up_one_row_at_a_time() {
        let (_d, store, ids) = store_with(10);
        let mut w = window(&store, 3);
        let f = ListQuery::default();
        for _ in 0..3 {
            w.down();
        }
        assert!(w.is_stale());
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[8], ids[7], ids[6]]);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[6]));
        assert!(w.more_above());
        for _ in 0..2 {
            w.up();
        }
        assert_eq!(w.selected().map(|r| r.id), Some(ids[8]));
        w.up();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[9], ids[8], ids[7]]);
        assert_eq!(w.anchor(), Anchor::Newest);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[9]));
    }

    #[test]
    fn pages_and_ends() {
        let (_d, store, ids) = store_with(10);
        let mut w = window(&store, 4);
        let f = ListQuery::default();
        w.down();
        w.page_down();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[5], ids[4], ids[3], ids[2]]);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[4]));
        w.page_down();
        w.load(&store, &f).unwrap();
        // Only two rows were left: the last full screen shows, selection kept in step.
        assert_eq!(shown(&w), vec![ids[3], ids[2], ids[1], ids[0]]);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[0]));
        assert!(!w.more_below());
        w.page_up();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[7], ids[6], ids[5], ids[4]]);
        w.page_up();
        w.load(&store, &f).unwrap();
        // Two rows were left above: the view reached the top and the selection moved four.
        assert_eq!(w.anchor(), Anchor::Newest);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[8]));
        w.bottom();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[3], ids[2], ids[1], ids[0]]);
        assert_eq!(w.selected().map(|r| r.id), Some(ids[0]));
        w.top();
        w.load(&store, &f).unwrap();
        assert_eq!(w.selected().map(|r| r.id), Some(ids[9]));
    }

    #[test]
    fn pinned_window_ignores_new_rows_above() {
        let (_d, mut store, ids) = store_with(5);
        let mut w = window(&store, 2);
        w.pin();
        let extra = store.get(ids[0]).unwrap().unwrap().capture;
        store.insert_capture(&extra).unwrap();
        w.load(&store, &ListQuery::default()).unwrap();
        assert_eq!(shown(&w), vec![ids[4], ids[3]]);
        assert!(w.more_above());
    }

    #[test]
    fn filters_page_by_keyset_too() {
        let (_d, store, ids) = store_with(10);
        let f = ListQuery {
            text: Some("three".into()),
            ..Default::default()
        };
        let mut w = Window::default();
        w.set_height(2);
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[9], ids[6]]);
        w.page_down();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[3], ids[0]]);
        w.up();
        w.load(&store, &f).unwrap();
        assert_eq!(shown(&w), vec![ids[6], ids[3]]);
    }

    #[test]
    fn short_lists_and_empty_stores_behave() {
        let (_d, store, ids) = store_with(2);
        let mut w = window(&store, 5);
        w.bottom();
        w.load(&store, &ListQuery::default()).unwrap();
        assert_eq!(shown(&w), vec![ids[1], ids[0]]);
        assert_eq!(w.anchor(), Anchor::Newest);
        w.page_down();
        assert_eq!(w.selected().map(|r| r.id), Some(ids[0]));
        let (_d2, empty, _) = store_with(0);
        let mut w = window(&empty, 5);
        w.down();
        w.up();
        w.page_down();
        w.page_up();
        w.load(&empty, &ListQuery::default()).unwrap();
        assert!(w.selected().is_none());
    }
}
