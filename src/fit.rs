//! Fitting a row of things into a width: which list columns show and how wide (the TUI's list
//! and `hookscope list`'s table), which header and footer items stay (whole items, the least
//! important dropped first, never a word cut), and text cut from the middle. Pure arithmetic on
//! widths the callers measured; a leaf that imports nothing from the crate.

/// The ellipsis that marks cut text, one column wide.
pub const ELLIPSIS: char = '…';

/// One column of a table. `rank` 0 is the last to go. `want` is its width when there is room;
/// a column with `min < want` shrinks down to `min` rather than be dropped, and grows up to
/// `max` with width left over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub rank: u8,
    pub want: u16,
    pub min: u16,
    pub max: u16,
}

impl Column {
    /// A column that is shown whole or not at all.
    pub const fn fixed(rank: u8, width: u16) -> Column {
        Column {
            rank,
            want: width,
            min: width,
            max: width,
        }
    }

    fn shrinks(&self) -> bool {
        self.min < self.want
    }
}

/// Each column's width, or `None` when it is dropped; in the order given. Columns are taken by
/// rank while they fit; the first that does not fit (even shrunk) ends it, so a column is never
/// shown while a more important one is dropped. `gap` separates shown columns.
pub fn column_widths(columns: &[Column], width: u16, gap: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| columns[i].rank);
    let mut widths = vec![None; columns.len()];
    let mut used: u16 = 0;
    for i in order {
        let c = columns[i];
        let sep = if used == 0 { 0 } else { gap };
        let room = width.saturating_sub(used.saturating_add(sep));
        let w = if c.want <= room {
            c.want
        } else if c.shrinks() && c.min <= room {
            room
        } else {
            break;
        };
        widths[i] = Some(w);
        used = used.saturating_add(sep).saturating_add(w);
    }
    // Width nobody asked for goes to the shown columns that can grow, in rank order.
    let mut spare = width.saturating_sub(used);
    for i in (0..columns.len()).filter(|&i| columns[i].max > columns[i].want) {
        if let Some(w) = widths[i].as_mut() {
            let more = columns[i].max.saturating_sub(*w).min(spare);
            *w += more;
            spare -= more;
        }
    }
    widths
}

/// Which items of a line stay: all when they fit; otherwise whole items are dropped, the
/// highest rank first (the later one on a tie), until the rest fit with `gap` between them.
/// The most important item always stays (cut by the edge if it must), so a line never goes
/// blank. `items` are `(width, rank)` in display order.
pub fn items_that_fit(items: &[(usize, u8)], width: usize, gap: usize) -> Vec<bool> {
    let mut kept = vec![true; items.len()];
    loop {
        let shown: Vec<usize> = (0..items.len()).filter(|&i| kept[i]).collect();
        let total: usize =
            shown.iter().map(|&i| items[i].0).sum::<usize>() + gap * shown.len().saturating_sub(1);
        if total <= width || shown.len() <= 1 {
            return kept;
        }
        if let Some(&drop) = shown.iter().max_by_key(|&&i| (items[i].1, i)) {
            kept[drop] = false;
        }
    }
}

/// `text` in at most `width` characters, cut from the middle so both ends stay readable:
/// `/dataspike/webhooks/hook` in 15 is `/datasp…ks/hook`.
pub fn truncate_middle(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let tail = keep / 2;
    let head = keep - tail;
    let mut out: String = text.chars().take(head).collect();
    out.push(ELLIPSIS);
    out.extend(text.chars().skip(len - tail));
    out
}

/// `text` in at most `width` characters, cut at the end.
pub fn truncate_end(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: Column = Column {
        rank: 2,
        want: 20,
        min: 6,
        max: 50,
    };

    #[test]
    fn every_column_at_its_want_and_the_spare_to_the_growing_one() {
        let cols = [Column::fixed(0, 5), PATH, Column::fixed(1, 8)];
        assert_eq!(
            column_widths(&cols, 40, 1),
            vec![Some(5), Some(20 + 5), Some(8)]
        );
        assert_eq!(
            column_widths(&cols, 100, 1),
            vec![Some(5), Some(50), Some(8)],
            "no wider than its longest value"
        );
    }

    #[test]
    fn the_shrinking_column_gives_way_before_anything_is_dropped() {
        let cols = [Column::fixed(0, 5), PATH, Column::fixed(1, 8)];
        // 5 + 1 + 8 + 1 leaves 10 for the path.
        assert_eq!(
            column_widths(&cols, 25, 1),
            vec![Some(5), Some(10), Some(8)]
        );
        // Below its minimum the path goes; the more important columns stay.
        assert_eq!(column_widths(&cols, 19, 1), vec![Some(5), None, Some(8)]);
    }

    #[test]
    fn lower_ranks_go_first_and_never_jump_a_dropped_one() {
        let cols = [
            Column::fixed(0, 4),
            Column::fixed(3, 2),
            Column::fixed(1, 10),
            Column::fixed(2, 6),
        ];
        assert_eq!(
            column_widths(&cols, 22, 1),
            vec![Some(4), None, Some(10), Some(6)]
        );
        // Rank 2 does not fit, so the small rank 3 is not shown either.
        assert_eq!(
            column_widths(&cols, 17, 1),
            vec![Some(4), None, Some(10), None]
        );
        assert_eq!(column_widths(&cols, 3, 1), vec![None; 4]);
        assert_eq!(column_widths(&cols, 0, 1), vec![None; 4]);
    }

    #[test]
    fn items_drop_whole_lowest_priority_first() {
        // "hookscope" (rank 3), "listening URL" (0), "forward X" (1), "secrets 1" (2).
        let items = [(9, 3), (20, 0), (15, 1), (9, 2)];
        assert_eq!(items_that_fit(&items, 100, 2), vec![true; 4]);
        assert_eq!(
            items_that_fit(&items, 9 + 20 + 15 + 9 + 6, 2),
            vec![true; 4]
        );
        assert_eq!(items_that_fit(&items, 50, 2), vec![false, true, true, true]);
        assert_eq!(
            items_that_fit(&items, 40, 2),
            vec![false, true, true, false]
        );
        assert_eq!(
            items_that_fit(&items, 5, 2),
            vec![false, true, false, false],
            "the most important item stays, cut by the edge"
        );
        assert_eq!(items_that_fit(&[], 5, 2), Vec::<bool>::new());
    }

    #[test]
    fn equal_ranks_drop_the_later_item() {
        let items = [(5, 1), (5, 1), (5, 0)];
        assert_eq!(items_that_fit(&items, 11, 1), vec![true, false, true]);
    }

    #[test]
    fn middle_truncation_keeps_both_ends() {
        assert_eq!(
            truncate_middle("/dataspike/webhooks/hook", 15),
            "/datasp…ks/hook"
        );
        assert_eq!(truncate_middle("/hook", 15), "/hook");
        assert_eq!(truncate_middle("/hook", 5), "/hook");
        assert_eq!(truncate_middle("/hooks", 5), "/h…ks");
        assert_eq!(truncate_middle("abc", 1), "…");
        assert_eq!(truncate_middle("abc", 0), "");
        assert_eq!(
            truncate_middle("/ä/ö/ü/ß", 5),
            "/ä…/ß",
            "characters, not bytes"
        );
        for width in 0..30 {
            let cut = truncate_middle("/dataspike/webhooks/incoming", width);
            assert!(cut.chars().count() <= width, "{cut} in {width}");
        }
    }

    #[test]
    fn end_truncation() {
        assert_eq!(truncate_end("AML_SCREENING", 13), "AML_SCREENING");
        assert_eq!(truncate_end("AML_SCREENING", 8), "AML_SCR…");
        assert_eq!(truncate_end("AML", 0), "");
    }
}
