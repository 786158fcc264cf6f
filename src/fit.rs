//! Fitting a row of things into a width: which list columns show and how wide (the TUI's list
//! and `hookscope list`'s table), which header and footer items stay (whole items, the least
//! important dropped first, never a word cut), text cut from the middle, and text wrapped into
//! rows. Pure arithmetic on widths the callers measured; a leaf that imports nothing from the
//! crate.

use ratatui::text::Span;

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
/// blank. `items` are `(width, rank)` in display order. (The header fits items with cuts
/// through [`item_widths`]; this whole-items form states the dropping rule for its tests.)
#[cfg(test)]
pub fn items_that_fit(items: &[(usize, u8)], width: usize, gap: usize) -> Vec<bool> {
    let whole: Vec<Item> = items
        .iter()
        .map(|&(w, rank)| Item::whole(w, rank))
        .collect();
    item_widths(&whole, width, gap)
        .into_iter()
        .map(|w| w.is_some())
        .collect()
}

/// One item of a line for [`item_widths`]: its full width and its rank (0 is the last to go);
/// `cut` when it may be shortened rather than dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub width: usize,
    pub rank: u8,
    pub cut: Option<Cut>,
}

/// How an item gives way before it is dropped: shortened, down to `min`, when the turn of
/// rank `rank` comes (a higher rank than the item's own, so it is cut before anything it
/// outranks is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub min: usize,
    pub rank: u8,
}

impl Item {
    /// Shown whole or not at all.
    #[cfg(test)]
    pub const fn whole(width: usize, rank: u8) -> Item {
        Item {
            width,
            rank,
            cut: None,
        }
    }
}

/// Each item's width in a line of `width` with `gap` between items, or `None` when it is left
/// out. Items give way one at a time until the rest fit, the highest rank first (the later
/// one on a tie): a whole item is dropped; one with a [`Cut`] is first shortened at its cut's
/// rank (only as far as needed, never below its minimum) and dropped only at its own rank.
/// The most important item always stays (cut by the edge if it must). Width left over once
/// the line fits goes back to shortened items, the most important first.
pub fn item_widths(items: &[Item], width: usize, gap: usize) -> Vec<Option<usize>> {
    let mut widths: Vec<Option<usize>> = items.iter().map(|i| Some(i.width)).collect();
    // (rank, position, is a cut): highest first, so a tie goes to the later item, and an
    // item's cut comes before its drop.
    let mut turns: Vec<(u8, usize, bool)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        turns.push((item.rank, i, false));
        if let Some(cut) = item.cut {
            turns.push((cut.rank, i, true));
        }
    }
    turns.sort_unstable_by(|a, b| b.cmp(a));
    for (_, i, is_cut) in turns {
        let over = line_width(&widths, gap).saturating_sub(width);
        if over == 0 {
            break;
        }
        if is_cut {
            let min = items[i].cut.map_or(0, |c| c.min);
            if let Some(w) = widths[i].as_mut() {
                *w = w.saturating_sub(over).max(min.min(*w));
            }
        } else if widths.iter().flatten().count() > 1 {
            widths[i] = None;
        }
    }
    give_back(items, &mut widths, width, gap);
    widths
}

/// The shown items and the gaps between them.
fn line_width(widths: &[Option<usize>], gap: usize) -> usize {
    let shown: Vec<usize> = widths.iter().flatten().copied().collect();
    shown.iter().sum::<usize>() + gap * shown.len().saturating_sub(1)
}

/// Width left over goes back to shortened items, the lowest rank first.
fn give_back(items: &[Item], widths: &mut [Option<usize>], width: usize, gap: usize) {
    let mut spare = width.saturating_sub(line_width(widths, gap));
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].rank);
    for i in order {
        if let Some(w) = widths[i].as_mut() {
            let more = items[i].width.saturating_sub(*w).min(spare);
            *w += more;
            spare -= more;
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

/// `text` in at most `width` characters, cut at the end between words and marked with `…`; a
/// word is cut only when the first alone is wider than `width`.
pub fn truncate_words(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let end = if chars[room] == ' ' {
        room
    } else {
        chars[..room]
            .iter()
            .rposition(|&c| c == ' ')
            .unwrap_or(room)
    };
    let kept: String = chars[..end].iter().collect();
    let mut out = match kept.trim_end() {
        "" => chars[..room].iter().collect(),
        words => words.to_string(),
    };
    out.push(ELLIPSIS);
    out
}

/// `text` in at most `width` characters, cut at the start: the end stays.
pub fn truncate_start(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::from(ELLIPSIS);
    out.extend(text.chars().skip(len - (width - 1)));
    out
}

/// `line` in rows of at most `width` columns, every character kept and in order (a character
/// wider than `width` gets a row of its own). Spaces where a row breaks start the next row
/// rather than end this one, so a selection that drops the blanks at a row's end loses none.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = char_width(c);
        if used + w > width && !row.is_empty() {
            let kept = row.trim_end_matches(' ').len();
            let spaces = if kept > 0 {
                row.split_off(kept)
            } else {
                String::new()
            };
            rows.push(std::mem::replace(&mut row, spaces));
            used = row.chars().count();
            if used + w > width && !row.is_empty() {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
        }
        row.push(c);
        used += w;
    }
    rows.push(row);
    rows
}

/// `text` in rows of at most `width` columns for reading: broken between words (the spaces
/// there dropped), a word wider than `width` broken where it must.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let used = text_width(&row);
        if !row.is_empty() && used + 1 + text_width(word) <= width {
            row.push(' ');
            row.push_str(word);
            continue;
        }
        if !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        let mut pieces = wrap(word, width);
        row = pieces.pop().unwrap_or_default();
        rows.extend(pieces);
    }
    rows.push(row);
    rows
}

fn text_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Columns `c` takes on a terminal, as ratatui counts them.
fn char_width(c: char) -> usize {
    let mut utf8 = [0; 4];
    Span::raw(&*c.encode_utf8(&mut utf8)).width()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_ends_no_row_in_a_space() {
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("ab cd ef", 3), vec!["ab", " cd", " ef"]);
        assert_eq!(wrap("ab  cdef", 4), vec!["ab", "  cd", "ef"]);
        assert_eq!(wrap("    x", 2), vec!["  ", "  ", "x"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("日本語", 4), vec!["日本", "語"], "wide characters");
        let text = "printf '%s' '{\"a\": 1,   \"b\": [1, 2, 3]}' | curl -i x";
        for width in 1..20 {
            let rows = wrap(text, width);
            assert_eq!(rows.concat(), text, "{width}");
            for r in &rows {
                assert!(
                    Span::raw(r.as_str()).width() <= width.max(2),
                    "{r:?} in {width}"
                );
                assert!(!r.ends_with(' ') || r.trim().is_empty(), "{r:?} in {width}");
            }
        }
    }

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
    fn a_cut_item_is_shortened_at_its_cut_rank_before_what_it_outranks_is_dropped() {
        // "name" (rank 4), "listen" (3), "relay URL" (1, cut at rank 3 down to 10), "target" (2).
        let relay = Item {
            width: 40,
            rank: 1,
            cut: Some(Cut { min: 10, rank: 3 }),
        };
        let items = [
            Item::whole(9, 4),
            Item::whole(20, 3),
            relay,
            Item::whole(20, 2),
        ];
        let all = vec![Some(9), Some(20), Some(40), Some(20)];
        assert_eq!(item_widths(&items, 95, 2), all);
        // The name goes first, then the URL shrinks only as far as needed.
        assert_eq!(
            item_widths(&items, 80, 2),
            vec![None, Some(20), Some(36), Some(20)]
        );
        // Down to its minimum, the listen URL goes, and the URL gets the room back.
        assert_eq!(
            item_widths(&items, 40, 2),
            vec![None, None, Some(18), Some(20)]
        );
        // Then the target; the URL, outranking it, stays, cut by the edge at last.
        assert_eq!(item_widths(&items, 15, 2), vec![None, None, Some(15), None]);
        assert_eq!(item_widths(&items, 5, 2), vec![None, None, Some(10), None]);
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
    fn word_wrapping_breaks_between_words() {
        assert_eq!(
            wrap_words("copied #6 to the clipboard", 12),
            vec!["copied #6 to", "the", "clipboard"]
        );
        assert_eq!(wrap_words("a clipboard", 4), vec!["a", "clip", "boar", "d"]);
        assert_eq!(wrap_words("", 4), vec![""]);
        assert_eq!(wrap_words("fits", 10), vec!["fits"]);
    }

    #[test]
    fn word_truncation_cuts_between_words() {
        let notice = "copied #6 to the clipboard through the terminal";
        assert_eq!(truncate_words(notice, 100), notice);
        assert_eq!(truncate_words(notice, 33), "copied #6 to the clipboard…");
        assert_eq!(
            truncate_words(notice, 27),
            "copied #6 to the clipboard…",
            "a space just past the room"
        );
        assert_eq!(truncate_words(notice, 26), "copied #6 to the…");
        assert_eq!(truncate_words("clipboard", 5), "clip…", "one long word");
        assert_eq!(truncate_words("a  clipboard", 5), "a…");
        assert_eq!(truncate_words("abc", 0), "");
        for width in 0..50 {
            assert!(truncate_words(notice, width).chars().count() <= width);
        }
    }

    #[test]
    fn start_truncation_keeps_the_end() {
        assert_eq!(truncate_start("status:5xx", 20), "status:5xx");
        assert_eq!(truncate_start("status:5xx", 6), "…s:5xx");
        assert_eq!(truncate_start("abc", 1), "…");
        assert_eq!(truncate_start("abc", 0), "");
    }

    #[test]
    fn end_truncation() {
        assert_eq!(truncate_end("AML_SCREENING", 13), "AML_SCREENING");
        assert_eq!(truncate_end("AML_SCREENING", 8), "AML_SCR…");
        assert_eq!(truncate_end("AML", 0), "");
    }
}
