//! The list is a window over the store, not the store in memory: it holds one screenful of
//! summaries and an anchor saying which capture sits at the top. Scrolling moves the anchor by
//! id (keyset paging), so a page costs the same at row 10 and at row 1,000,000 and nothing ever
//! counts or skips rows by offset.
//!
//! A query with an index driver (words through the FTS index, `status:` through the attempts
//! index; see `store::search`) pages by keyset like the unfiltered list: its rows come out in id
//! order, so a rare match costs a few lookups. A query without one (only `badge:`, `path:`,
//! JSON numbers, negations...) may have its rare match a million rows away, so those reads scan
//! fixed id ranges ("chunks") within a time budget per frame; what a chunk holds is remembered,
//! and a read that runs out of budget is simply retried on the next frame, where the chunks
//! already scanned cost nothing. The UI keeps answering keys while it searches.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::capture::{Attempt, CaptureId, CaptureSummary};
use crate::query::Query;
use crate::redelivery::Place;
use crate::store::{search, CatchUp, ListQuery, Store, StoreError, StoredCapture};

/// Ids per scanned range: about 4 ms of text matching on an idle core, so a frame overruns
/// its budget by little even on a busy machine.
pub const CHUNK_IDS: i64 = 4_096;
/// Scanning time allowed per frame before the rest waits for the next frame.
pub const SCAN_TIME: Duration = Duration::from_millis(40);
/// A range with more matches than this is "dense": its rows are read directly with a limit
/// (cheap, since matches come quickly) instead of being remembered.
const CHUNK_KEEP: usize = 64;

/// Where the TUI reads captures from. The store is the real one; the trait keeps the window's
/// paging rules apart from SQL.
pub trait CaptureSource {
    /// Summaries matching `q`: below `q.before`, newest first unless `q.ascending`.
    fn page(&self, q: &ListQuery) -> Result<Vec<CaptureSummary>, StoreError>;
    /// Like [`CaptureSource::page`], only ids above `after`.
    fn page_after(
        &self,
        q: &ListQuery,
        after: CaptureId,
    ) -> Result<Vec<CaptureSummary>, StoreError>;
    /// Like [`CaptureSource::page`], but may give up at `deadline` (`None`), so one read
    /// never holds a frame long.
    fn page_until(
        &self,
        q: &ListQuery,
        _deadline: Instant,
    ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        self.page(q).map(Some)
    }
    fn capture(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError>;
    fn attempts(&self, id: CaptureId) -> Result<Vec<Attempt>, StoreError>;
    /// Where capture `id` (of the event `key`) sits among its event's deliveries.
    fn place(&self, _id: CaptureId, _key: Option<&str>) -> Result<Option<Place>, StoreError> {
        Ok(None)
    }
    /// Brings the full-text index up to the last commit, giving up at `deadline`; whether a
    /// query may run now (up to date, with time left). A word query waits for it, frame by
    /// frame, instead of missing new captures.
    fn index_until(&self, _deadline: Instant) -> Result<CatchUp, StoreError> {
        Ok(CatchUp::Ready)
    }
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

    fn page_until(
        &self,
        q: &ListQuery,
        deadline: Instant,
    ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        self.list_until(q, deadline)
    }

    fn capture(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError> {
        self.get(id)
    }

    fn attempts(&self, id: CaptureId) -> Result<Vec<Attempt>, StoreError> {
        Store::attempts(self, id)
    }

    fn place(&self, id: CaptureId, key: Option<&str>) -> Result<Option<Place>, StoreError> {
        Store::place(self, id, key)
    }

    fn index_until(&self, deadline: Instant) -> Result<CatchUp, StoreError> {
        Ok(self.catch_up_index_until(deadline))
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

/// How much filtered scanning one load may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanBudget {
    pub chunk_ids: i64,
    /// After this, no new range is scanned until the next load (at least one always is, so
    /// every load makes progress).
    pub time: Duration,
}

impl Default for ScanBudget {
    fn default() -> ScanBudget {
        ScanBudget {
            chunk_ids: CHUNK_IDS,
            time: SCAN_TIME,
        }
    }
}

/// What is known about one id range under the current filter.
#[derive(Debug, Clone, PartialEq)]
enum Chunk {
    /// Every match in the range, oldest first.
    Sparse(Vec<CaptureSummary>),
    /// More than [`CHUNK_KEEP`] matches: read on demand.
    Dense,
}

/// Ranges already scanned for `query`, valid while no capture newer than `newest` exists.
#[derive(Debug, Clone, Default, PartialEq)]
struct ChunkCache {
    query: Query,
    /// An indexed read of `query` overran the budget once (a dense driver with a rare extra
    /// term): from then on it is read in ranges too.
    slow: bool,
    newest: CaptureId,
    chunks: HashMap<i64, Chunk>,
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
    /// A filtered load ran out of budget and continues next frame.
    searching: bool,
    /// The newest captures a word query could not search: the store cannot be written here,
    /// so the text index cannot be brought up to date.
    left_out: Option<i64>,
    budget: ScanBudget,
    cache: ChunkCache,
}

impl Default for Window {
    fn default() -> Window {
        Window::with_budget(ScanBudget::default())
    }
}

/// The outcome of a complete load, applied all at once so an interrupted load changes nothing.
struct Plan {
    anchor: Anchor,
    cursor: usize,
    rows: Vec<CaptureSummary>,
    more_above: bool,
}

impl Window {
    pub fn with_budget(budget: ScanBudget) -> Window {
        Window {
            anchor: Anchor::Newest,
            rows: Vec::new(),
            cursor: 0,
            height: 1,
            more_above: false,
            stale: true,
            searching: false,
            left_out: None,
            budget,
            cache: ChunkCache::default(),
        }
    }

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

    /// Whether a filtered read is still scanning (the rows shown may be incomplete).
    pub fn searching(&self) -> bool {
        self.searching
    }

    /// How many of the newest captures the last word query left out (a read-only store).
    pub fn left_out(&self) -> Option<i64> {
        self.left_out
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
        self.searching = false;
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
    pub fn patch(&mut self, id: CaptureId, f: impl Fn(&mut CaptureSummary)) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
            f(row);
        }
        let k = id.div_euclid(self.budget.chunk_ids);
        if let Some(Chunk::Sparse(rows)) = self.cache.chunks.get_mut(&k) {
            if let Some(row) = rows.iter_mut().find(|r| r.id == id) {
                f(row);
            }
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

    /// Reads the screenful the anchor asks for. Unfiltered or with an indexed query, that is a
    /// few indexed queries. Otherwise it may stop early when the scan budget is spent: the window then stays
    /// stale and [`Window::searching`], showing what the page scan found so far.
    pub fn load(&mut self, src: &dyn CaptureSource, filter: &ListQuery) -> Result<(), StoreError> {
        if self.cache.query != filter.query {
            self.cache = ChunkCache {
                query: filter.query.clone(),
                ..ChunkCache::default()
            };
        }
        let deadline = Instant::now() + self.budget.time;
        let searched = (!filter.query.is_empty()).then(|| search::plan(filter));
        // Captures committed in a burst are indexed after it; a word query first indexes them,
        // a budget at a time, so it never misses one.
        // Indexing that used up the frame leaves the query to the next frame's full budget
        // (run now, it would overrun and mark the query slow for good).
        self.left_out = None;
        if searched.as_ref().is_some_and(|p| p.fts) {
            match src.index_until(deadline)? {
                CatchUp::Ready => {}
                CatchUp::NotYet => {
                    self.searching = true;
                    return Ok(());
                }
                CatchUp::LeftOut(n) => self.left_out = Some(n),
            }
        }
        let mut scan = Scanner {
            src,
            filter,
            chunked: searched.is_some_and(|p| self.cache.slow || !p.indexed),
            cache: &mut self.cache,
            chunk_ids: self.budget.chunk_ids.max(1),
            deadline,
            scanned: 0,
            bounds: None,
            record_partial: false,
            partial: None,
        };
        let plan = plan(self.anchor, self.cursor, self.height, &mut scan)?;
        let partial = scan.partial.take();
        match plan {
            Some(p) => {
                self.anchor = p.anchor;
                self.rows = p.rows;
                self.more_above = p.more_above;
                self.cursor = p.cursor.min(self.visible().len().saturating_sub(1));
                self.stale = false;
                self.searching = false;
            }
            None => {
                if let Some(rows) = partial {
                    // Shown meanwhile; the cursor stays for the complete load to place.
                    self.rows = rows;
                }
                self.searching = true;
            }
        }
        Ok(())
    }
}

/// Works out the screenful for `anchor`; `None` when the scan budget ran out first.
fn plan(
    mut anchor: Anchor,
    mut cursor: usize,
    h: usize,
    scan: &mut Scanner<'_>,
) -> Result<Option<Plan>, StoreError> {
    macro_rules! need {
        ($e:expr) => {
            match $e? {
                Some(v) => v,
                None => return Ok(None),
            }
        };
    }
    let top = match anchor {
        Anchor::Newest | Anchor::Oldest => None,
        Anchor::At(id) => Some(id),
        Anchor::Above(id, n) => {
            let newer = need!(scan.up(Some(id), n));
            if newer.len() < n {
                // Fewer than asked exist above: this is the top. Move the cursor by what the
                // view could not, so PgUp still lands a page up.
                cursor = cursor.saturating_sub(n - newer.len());
                anchor = Anchor::Newest;
                None
            } else {
                newer.last().map(|r| r.id)
            }
        }
    };
    let rows = if anchor == Anchor::Oldest {
        let mut rows = need!(scan.up(None, h));
        rows.reverse();
        rows
    } else {
        scan.record_partial = true;
        let rows = need!(scan.down(top.map(|t| t.saturating_add(1)), h + 1));
        scan.record_partial = false;
        if top.is_some() && rows.len() < h {
            // Scrolled past the end: show the last full screenful instead of a short one,
            // keeping the selection on the same capture.
            let short = rows.len();
            let mut full = need!(scan.up(None, h));
            full.reverse();
            cursor = cursor.saturating_add(full.len().saturating_sub(short));
            anchor = Anchor::Oldest;
            full
        } else {
            rows
        }
    };
    if let (Anchor::At(_), Some(first)) = (anchor, rows.first()) {
        // Pin to what is really on top, so a reload never slides when the anchor vanished.
        anchor = Anchor::At(first.id);
    }
    let more_above = match (anchor, rows.first()) {
        (Anchor::Newest, _) | (_, None) => false,
        (_, Some(first)) => !need!(scan.up(Some(first.id), 1)).is_empty(),
    };
    if !more_above {
        // Nothing above the top row: this is the newest page, whatever led here, so new
        // captures may push in again unless someone pins the window.
        anchor = Anchor::Newest;
    }
    Ok(Some(Plan {
        anchor,
        cursor,
        rows,
        more_above,
    }))
}

/// Reads matches in either direction: straight keyset queries without a filter or with an
/// indexed one, budgeted chunk scans otherwise.
struct Scanner<'a> {
    src: &'a dyn CaptureSource,
    filter: &'a ListQuery,
    /// The query has no index driver: read it in budgeted id ranges.
    chunked: bool,
    cache: &'a mut ChunkCache,
    chunk_ids: i64,
    deadline: Instant,
    /// Ranges scanned by this load.
    scanned: usize,
    /// Oldest and newest id in the store, read once per load when a filter needs them.
    bounds: Option<Option<(CaptureId, CaptureId)>>,
    /// While set, `down` keeps what it found when the budget runs out, to show meanwhile.
    record_partial: bool,
    partial: Option<Vec<CaptureSummary>>,
}

impl Scanner<'_> {
    fn filtered(&self) -> bool {
        self.chunked
    }

    fn query(&self, before: Option<CaptureId>, limit: usize, ascending: bool) -> ListQuery {
        ListQuery {
            before,
            limit: Some(limit),
            ascending,
            ..self.filter.clone()
        }
    }

    /// One keyset query: unfiltered always whole; an indexed query within the budget, else
    /// `None` and the query is read in ranges from the next frame on.
    fn direct(&mut self, q: &ListQuery) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        if q.query.is_empty() {
            return self.src.page(q).map(Some);
        }
        let rows = self.src.page_until(q, self.deadline)?;
        if rows.is_none() {
            self.cache.slow = true;
        }
        Ok(rows)
    }

    fn chunk_of(&self, id: CaptureId) -> i64 {
        id.div_euclid(self.chunk_ids)
    }

    /// Oldest and newest id regardless of the filter; drops remembered ranges that new
    /// captures may have changed.
    fn bounds(&mut self) -> Result<Option<(CaptureId, CaptureId)>, StoreError> {
        if let Some(b) = self.bounds {
            return Ok(b);
        }
        let any = ListQuery::default();
        let newest = self.src.page(&ListQuery {
            limit: Some(1),
            ..any.clone()
        })?;
        let oldest = self.src.page(&ListQuery {
            limit: Some(1),
            ascending: true,
            ..any
        })?;
        let b = match (oldest.first(), newest.first()) {
            (Some(o), Some(n)) => Some((o.id, n.id)),
            _ => None,
        };
        if let Some((_, newest)) = b {
            if newest != self.cache.newest {
                let stale_from = self.chunk_of(self.cache.newest.min(newest));
                self.cache.chunks.retain(|k, _| *k < stale_from);
                self.cache.newest = newest;
            }
        }
        self.bounds = Some(b);
        Ok(b)
    }

    /// What range `k` holds, scanning it if the budget allows; `None` when it does not.
    fn chunk(&mut self, k: i64) -> Result<Option<Chunk>, StoreError> {
        if let Some(c) = self.cache.chunks.get(&k) {
            return Ok(Some(c.clone()));
        }
        if self.scanned > 0 && Instant::now() >= self.deadline {
            return Ok(None);
        }
        self.scanned += 1;
        let lo = k.saturating_mul(self.chunk_ids);
        let hi = lo.saturating_add(self.chunk_ids);
        let q = self.query(Some(hi), CHUNK_KEEP + 1, true);
        let rows = self.src.page_after(&q, lo.saturating_sub(1))?;
        let chunk = if rows.len() > CHUNK_KEEP {
            Chunk::Dense
        } else {
            Chunk::Sparse(rows)
        };
        self.cache.chunks.insert(k, chunk.clone());
        Ok(Some(chunk))
    }

    /// Up to `want` matches with ids below `before` (all when `None`), newest first.
    fn down(
        &mut self,
        before: Option<CaptureId>,
        want: usize,
    ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        if !self.filtered() {
            return self.direct(&self.query(before, want, false));
        }
        let Some((oldest, newest)) = self.bounds()? else {
            return Ok(Some(Vec::new()));
        };
        let start = before.map_or(newest + 1, |b| b.min(newest + 1));
        let mut out: Vec<CaptureSummary> = Vec::new();
        let mut k = self.chunk_of(start - 1);
        while out.len() < want && k >= self.chunk_of(oldest) {
            let Some(chunk) = self.chunk(k)? else {
                if self.record_partial {
                    self.partial = Some(out);
                }
                return Ok(None);
            };
            let left = want - out.len();
            match chunk {
                Chunk::Sparse(rows) => {
                    out.extend(rows.into_iter().rev().filter(|r| r.id < start).take(left))
                }
                Chunk::Dense => {
                    let lo = k.saturating_mul(self.chunk_ids);
                    let hi = start.min(lo.saturating_add(self.chunk_ids));
                    let q = self.query(Some(hi), left, false);
                    out.extend(self.src.page_after(&q, lo.saturating_sub(1))?);
                }
            }
            k -= 1;
        }
        Ok(Some(out))
    }

    /// Up to `want` matches with ids above `after` (from the oldest when `None`), oldest
    /// first.
    fn up(
        &mut self,
        after: Option<CaptureId>,
        want: usize,
    ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        if !self.filtered() {
            let q = ListQuery {
                after,
                ..self.query(None, want, true)
            };
            return self.direct(&q);
        }
        let Some((oldest, newest)) = self.bounds()? else {
            return Ok(Some(Vec::new()));
        };
        let start = after.map_or(oldest - 1, |a| a.max(oldest - 1));
        let mut out: Vec<CaptureSummary> = Vec::new();
        let mut k = self.chunk_of(start + 1);
        while out.len() < want && k <= self.chunk_of(newest) {
            let Some(chunk) = self.chunk(k)? else {
                return Ok(None);
            };
            let left = want - out.len();
            match chunk {
                Chunk::Sparse(rows) => {
                    out.extend(rows.into_iter().filter(|r| r.id > start).take(left))
                }
                Chunk::Dense => {
                    let lo = k.saturating_mul(self.chunk_ids);
                    let hi = lo.saturating_add(self.chunk_ids);
                    let q = self.query(Some(hi), left, true);
                    out.extend(self.src.page_after(&q, start.max(lo - 1))?);
                }
            }
            k += 1;
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;
    use crate::signature::Verdict;
    use crate::store::OpenMode;
    use std::time::Duration;

    fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<CaptureId>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("w.db"), OpenMode::Create).unwrap();
        let captures: Vec<Capture> = (0..n)
            .map(|i| Capture {
                verdict: Verdict::Unsigned,
                ..Capture::new(
                    1_700_000_000_000 + i as i64,
                    "POST",
                    if i % 3 == 0 { "/three" } else { "/hook" },
                    Vec::new(),
                    format!("body {i}").into_bytes(),
                )
            })
            .collect();
        let refs: Vec<&Capture> = captures.iter().collect();
        let ids = store.insert_captures(&refs).unwrap();
        (dir, store, ids)
    }

    fn filter(text: &str) -> ListQuery {
        ListQuery {
            query: crate::query::parse(text, 0).unwrap(),
            ..Default::default()
        }
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
        let f = filter("path:/three");
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
    fn a_word_query_first_indexes_a_burst_frame_by_frame_and_misses_nothing() {
        // 3,000 captures committed and not indexed yet, as after a burst into `listen`.
        let (_d, store, ids) = store_with(3_000);
        assert_eq!(store.unindexed().unwrap(), 3_000);
        let f = filter("2999");
        let mut w = tiny_budget();
        w.set_height(5);
        w.load(&store, &f).unwrap();
        assert!(
            w.searching() && w.is_stale(),
            "one frame indexes a chunk, not all"
        );
        assert!(store.unindexed().unwrap() > 0);
        let frames = settle(&mut w, &store, &f);
        assert!(frames >= 1);
        assert_eq!(store.unindexed().unwrap(), 0);
        assert_eq!(shown(&w), vec![ids[2_999]]);
        assert!(!w.searching());
        assert!(
            !w.cache.slow,
            "indexing that used up a frame does not make the query 'slow'"
        );
    }

    #[test]
    fn a_word_query_on_a_store_it_cannot_write_says_what_it_left_out() {
        let (_d, mut store, ids) = store_with(10);
        store.catch_up_index().unwrap();
        let newer = store.get(ids[9]).unwrap().unwrap().capture;
        store.insert_capture(&newer).unwrap();
        store.insert_capture(&newer).unwrap();
        // As a read-only file: the index cannot be brought up to date.
        store.refuse_writes_for_tests();
        let f = filter("body");
        let mut w = Window::default();
        w.set_height(20);
        settle(&mut w, &store, &f);
        assert_eq!(w.left_out(), Some(2));
        assert_eq!(w.visible().len(), 10, "the indexed captures are searched");
        // A query that does not read the text index leaves nothing out.
        settle_after_change(&mut w, &store, &filter("path:/three"));
        assert_eq!(w.left_out(), None);
    }

    fn settle_after_change(w: &mut Window, store: &Store, f: &ListQuery) {
        w.top();
        settle(w, store, f);
    }

    /// Loads until the scan finishes, as the frames of the real loop would.
    fn settle(w: &mut Window, store: &Store, f: &ListQuery) -> usize {
        let mut frames = 0;
        while w.is_stale() {
            w.load(store, f).unwrap();
            frames += 1;
            assert!(frames < 10_000, "the scan never finished");
        }
        frames
    }

    fn tiny_budget() -> Window {
        Window::with_budget(ScanBudget {
            chunk_ids: 4,
            time: Duration::ZERO,
        })
    }

    #[test]
    fn chunked_scans_page_exactly_like_one_query() {
        let (_d, store, _ids) = store_with(200);
        for text in [
            "path:/three",
            "-path:/three",
            "x=1",
            "path:/nothing",
            "three",
            "body 17",
            "1*",
        ] {
            let f = filter(text);
            let mut small = tiny_budget();
            let mut whole = Window::default();
            for w in [&mut small, &mut whole] {
                w.set_height(5);
            }
            let steps: [fn(&mut Window); 9] = [
                Window::down,
                Window::page_down,
                Window::page_down,
                Window::up,
                Window::page_up,
                Window::bottom,
                Window::page_up,
                Window::up,
                Window::top,
            ];
            settle(&mut small, &store, &f);
            settle(&mut whole, &store, &f);
            for (i, step) in steps.iter().enumerate() {
                step(&mut small);
                step(&mut whole);
                settle(&mut small, &store, &f);
                settle(&mut whole, &store, &f);
                assert_eq!(shown(&small), shown(&whole), "'{text}' step {i}");
                assert_eq!(small.cursor(), whole.cursor(), "'{text}' step {i}");
                assert_eq!(small.more_above(), whole.more_above(), "'{text}' step {i}");
            }
        }
    }

    #[test]
    fn a_long_search_spreads_over_frames_and_shows_progress() {
        let (_d, store, ids) = store_with(40);
        let f = filter("path:/three");
        let mut w = tiny_budget();
        w.set_height(3);
        w.load(&store, &f).unwrap();
        assert!(
            w.searching() && w.is_stale(),
            "one range per frame at zero budget"
        );
        let frames = settle(&mut w, &store, &f);
        assert!(frames > 2, "{frames}");
        assert!(!w.searching());
        assert_eq!(shown(&w), vec![ids[39], ids[36], ids[33]]);
        // Remembered ranges make the same read free: one frame, nothing rescanned.
        w.invalidate();
        assert_eq!(settle(&mut w, &store, &f), 1);
    }

    /// A store on which every budgeted query overruns.
    struct Overrun<'a>(&'a Store);

    impl CaptureSource for Overrun<'_> {
        fn page(&self, q: &ListQuery) -> Result<Vec<CaptureSummary>, StoreError> {
            self.0.list(q)
        }
        fn page_after(
            &self,
            q: &ListQuery,
            after: CaptureId,
        ) -> Result<Vec<CaptureSummary>, StoreError> {
            self.0.list_after(q, after)
        }
        fn page_until(
            &self,
            _q: &ListQuery,
            _deadline: Instant,
        ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
            Ok(None)
        }
        fn capture(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError> {
            self.0.get(id)
        }
        fn attempts(&self, id: CaptureId) -> Result<Vec<Attempt>, StoreError> {
            self.0.attempts(id)
        }
    }

    #[test]
    fn an_indexed_query_that_overruns_its_budget_is_read_in_ranges() {
        let (_d, store, ids) = store_with(30);
        let f = filter("three");
        let slow = Overrun(&store);
        let mut w = tiny_budget();
        w.set_height(3);
        w.load(&slow, &f).unwrap();
        assert!(
            w.searching() && w.is_stale(),
            "the overrun shows as searching"
        );
        let mut frames = 0;
        while w.is_stale() {
            w.load(&slow, &f).unwrap();
            frames += 1;
            assert!(frames < 1_000);
        }
        assert_eq!(shown(&w), vec![ids[27], ids[24], ids[21]]);
        // The budgeted query itself, on a real store, answers within the budget.
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(store.list_until(&f, deadline).unwrap().is_some());
        let (_d2, many, _) = store_with(3_000);
        let past = Instant::now() - Duration::from_millis(1);
        let big = filter("body");
        assert_eq!(many.list_until(&big, past).unwrap(), None, "interrupted");
        assert_eq!(
            many.list(&big).unwrap().len(),
            3_000,
            "the connection still works"
        );
    }

    #[test]
    fn remembered_ranges_notice_new_captures() {
        let (_d, mut store, ids) = store_with(10);
        let f = filter("path:/three");
        let mut w = tiny_budget();
        w.set_height(3);
        settle(&mut w, &store, &f);
        assert_eq!(shown(&w), vec![ids[9], ids[6], ids[3]]);
        let newer = store.get(ids[0]).unwrap().unwrap().capture;
        let new_id = store.insert_capture(&newer).unwrap();
        let attempt = crate::capture::AttemptBrief {
            status: Some(201),
            latency_ms: Some(1),
            error: None,
        };
        w.patch(ids[6], |r| r.latest_attempt = Some(attempt.clone()));
        w.top();
        settle(&mut w, &store, &f);
        assert_eq!(shown(&w), vec![new_id, ids[9], ids[6]]);
        let patched = w.visible()[2].latest_attempt.clone();
        assert_eq!(patched, Some(attempt), "patches reach remembered rows");
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
