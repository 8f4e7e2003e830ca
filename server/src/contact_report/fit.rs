//! Keeping the report under its size budget by shortening sections, never by failing.
//!
//! A note may hold a 2 MiB body and thousands of 256 KiB decisions; mail servers refuse
//! messages of a few MiB and clients clip long ones silently. So the sections share a byte
//! budget fairly (max-min): sections smaller than an equal share stay whole, and what they leave
//! is split equally among the larger ones, each cut to its cap with a note saying so. A huge
//! notes body therefore cannot push the decisions or the action items out of the e-mail.
//!
//! Sizes come from a [`Measure`], the writers' own byte counts, so the budget holds for what is
//! actually written. Measuring stops once a section is known to exceed the budget, and texts
//! are cut by binary search on prefixes no longer than the room left, so the work stays
//! proportional to the budget, not to the note.

use super::outline::{Body, CUT_MARK, Cut, Item, Section};
use super::text::prefix;

/// Bytes a piece takes when written. A section's size is its frame plus its content, and every
/// content character takes at least its UTF-8 length.
pub(super) trait Measure {
    /// A section's heading, wrappers and cut note, without its content.
    fn frame(&self, section: &Section) -> usize;
    /// One list entry.
    fn item(&self, item: &Item) -> usize;
    /// The content of a text section.
    fn text(&self, text: &str) -> usize;
}

/// `sections`, shortened where needed so their total size is at most `budget`.
///
/// Holds exactly as long as each capped section's frame fits its cap (a heading and a note,
/// a few hundred bytes; the report's budget leaves each section far more).
pub(super) fn fit(sections: Vec<Section>, budget: usize, m: &impl Measure) -> Vec<Section> {
    let sizes: Vec<usize> = sections.iter().map(|s| size_up_to(s, budget, m)).collect();
    if sizes.iter().fold(0usize, |a, &b| a.saturating_add(b)) <= budget {
        return sections;
    }
    let caps = fair_caps(&sizes, budget);
    sections
        .into_iter()
        .zip(caps)
        .map(|(s, cap)| match cap {
            Some(cap) => shorten(s, cap, m),
            None => s,
        })
        .collect()
}

/// The size of `s`, or anything above `limit` once it is known to exceed it.
fn size_up_to(s: &Section, limit: usize, m: &impl Measure) -> usize {
    let over = limit.saturating_add(1);
    let mut size = m.frame(&frame_of(s, s.cut));
    match &s.body {
        Body::Text(t) if t.len() > limit => return over,
        Body::Text(t) => size = size.saturating_add(m.text(t)),
        Body::List(items) => {
            for item in items {
                if size > limit || item.text.len() > limit {
                    return over;
                }
                size = size.saturating_add(m.item(item));
            }
        }
    }
    size
}

/// Max-min fair caps: `None` for a section kept whole, `Some(cap)` for one cut to `cap` bytes.
fn fair_caps(sizes: &[usize], budget: usize) -> Vec<Option<usize>> {
    let mut by_size: Vec<usize> = (0..sizes.len()).collect();
    by_size.sort_by_key(|&i| sizes[i]);
    let mut caps = vec![None; sizes.len()];
    let mut left = budget;
    for (done, &i) in by_size.iter().enumerate() {
        let share = left / (sizes.len() - done);
        if sizes[i] <= share {
            left -= sizes[i];
        } else {
            // Every section from here on is at least this large: all share what is left.
            for &j in &by_size[done..] {
                caps[j] = Some(share);
            }
            break;
        }
    }
    caps
}

/// `s` with only its heading and its cut note, to measure the frame.
fn frame_of(s: &Section, cut: Option<Cut>) -> Section {
    let body = match s.body {
        Body::Text(_) => Body::Text(String::new()),
        Body::List(_) => Body::List(Vec::new()),
    };
    Section {
        heading: s.heading.clone(),
        body,
        cut,
    }
}

/// `s` cut to at most `cap` bytes (or to its frame alone, if even that does not fit).
fn shorten(s: Section, cap: usize, m: &impl Measure) -> Section {
    match s.body {
        Body::Text(ref text) => {
            let cut = Some(Cut::Text);
            let room = cap.saturating_sub(m.frame(&frame_of(&s, cut)));
            let kept = longest_prefix(text, room, |p| m.text(p))
                .trim_end()
                .to_owned();
            Section {
                heading: s.heading,
                body: Body::Text(kept),
                cut,
            }
        }
        Body::List(ref items) => {
            // The largest note this section can need, so what is kept fits whatever it says.
            let worst = Cut::Items {
                hidden: items.len(),
                partial: true,
            };
            let mut room = cap.saturating_sub(m.frame(&frame_of(&s, Some(worst))));
            let mut kept = Vec::new();
            for item in items {
                let size = if item.text.len() > room {
                    None
                } else {
                    Some(m.item(item)).filter(|&size| size <= room)
                };
                match size {
                    Some(size) => {
                        room -= size;
                        kept.push(item.clone());
                    }
                    None => break,
                }
            }
            let partial = items
                .get(kept.len())
                .and_then(|next| cut_item(next, room, m));
            let whole = kept.len();
            kept.extend(partial.clone());
            Section {
                heading: s.heading,
                cut: Some(Cut::Items {
                    hidden: items.len() - whole - usize::from(partial.is_some()),
                    partial: partial.is_some(),
                }),
                body: Body::List(kept),
            }
        }
    }
}

/// `item` cut short to at most `room` bytes, marked as cut; `None` if not even a word fits.
fn cut_item(item: &Item, room: usize, m: &impl Measure) -> Option<Item> {
    let marked = |p: &str| Item {
        text: format!("{}{CUT_MARK}", p.trim_end()),
        detail: None,
    };
    let kept = longest_prefix(&item.text, room, |p| m.item(&marked(p)));
    (!kept.trim().is_empty()).then(|| marked(kept))
}

/// The longest prefix of `s` whose size is at most `room` ("" if none is). `size` must not
/// decrease as the prefix grows; prefixes are at least as large as their byte length, so none
/// longer than `room` bytes is tried.
fn longest_prefix(s: &str, room: usize, size: impl Fn(&str) -> usize) -> &str {
    if size("") > room {
        return "";
    }
    // Invariant: prefix(s, lo) fits; prefixes longer than hi bytes do not.
    let (mut lo, mut hi) = (0, s.len().min(room));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if size(prefix(s, mid)) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    prefix(s, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes by hand: a frame is its heading plus a fixed 10 (plus 20 with a note), an entry
    /// its text plus detail plus 2, a text its bytes.
    struct Bytes;

    impl Measure for Bytes {
        fn frame(&self, s: &Section) -> usize {
            s.heading.len() + 10 + if s.cut.is_some() { 20 } else { 0 }
        }
        fn item(&self, item: &Item) -> usize {
            item.text.len() + item.detail.as_ref().map_or(0, String::len) + 2
        }
        fn text(&self, text: &str) -> usize {
            text.len()
        }
    }

    fn size(s: &Section) -> usize {
        Bytes.frame(s)
            + match &s.body {
                Body::Text(t) => Bytes.text(t),
                Body::List(items) => items.iter().map(|i| Bytes.item(i)).sum(),
            }
    }

    fn text(heading: &str, body: &str) -> Section {
        Section {
            heading: heading.to_owned(),
            body: Body::Text(body.to_owned()),
            cut: None,
        }
    }

    fn list(heading: &str, texts: &[&str]) -> Section {
        let items = texts
            .iter()
            .map(|t| Item {
                text: (*t).to_owned(),
                detail: None,
            })
            .collect();
        Section {
            heading: heading.to_owned(),
            body: Body::List(items),
            cut: None,
        }
    }

    #[test]
    fn sections_within_the_budget_are_untouched() {
        let sections = vec![text("N", "hello"), list("L", &["a", "b"])];
        // Sizes: 1+10+5 = 16 and 1+10+3+3 = 17.
        assert_eq!(fit(sections.clone(), 33, &Bytes), sections);
    }

    #[test]
    fn fair_caps_keep_small_sections_whole_and_split_the_rest() {
        // 1000 to share among 4: 50 and 100 fit a quarter; 850 left for two, 425 each.
        assert_eq!(
            fair_caps(&[50, 2000, 100, 5000], 1000),
            vec![None, Some(425), None, Some(425)]
        );
        assert_eq!(fair_caps(&[10, 20], 30), vec![None, None]);
        assert_eq!(fair_caps(&[], 30), Vec::<Option<usize>>::new());
    }

    #[test]
    fn a_huge_text_cannot_push_a_small_list_out() {
        let sections = vec![
            text("Notes", &"x".repeat(10_000)),
            list("Decisions", &["yes"]),
        ];
        let fitted = fit(sections, 1000, &Bytes);
        assert_eq!(fitted[1], list("Decisions", &["yes"]));
        assert_eq!(fitted[0].cut, Some(Cut::Text));
        let total: usize = fitted.iter().map(size).sum();
        assert!(total <= 1000, "{total}");
        // The cut text uses the room the list left: 1000 - 24 (list) - 35 (frame with note).
        assert_eq!(fitted[0].body, Body::Text("x".repeat(941)));
    }

    #[test]
    fn a_long_list_keeps_whole_entries_then_a_cut_one_and_counts_the_rest() {
        let long = "word ".repeat(20); // 100 bytes
        let texts: Vec<&str> = vec![&long; 10];
        // Frame with a note: 1 + 10 + 20 = 31; room 269: two whole entries (102 each), then 65
        // bytes for a cut one: 57 bytes of text, the 6-byte mark and 2.
        let fitted = fit(vec![list("L", &texts)], 300, &Bytes);
        let Body::List(items) = &fitted[0].body else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].text, long);
        assert!(items[2].text.ends_with(CUT_MARK), "{}", items[2].text);
        assert_eq!(items[2].text, format!("{}wo{CUT_MARK}", "word ".repeat(11)));
        assert_eq!(
            fitted[0].cut,
            Some(Cut::Items {
                hidden: 7,
                partial: true
            })
        );
        assert!(size(&fitted[0]) <= 300, "{}", size(&fitted[0]));
    }

    #[test]
    fn an_entry_with_no_room_for_a_word_is_hidden_not_cut() {
        // Whole: 11 + 3 * 12 = 47. Cut to 46: frame with a note 31, room 15: one whole entry
        // (12), then 3 bytes, not enough for "a […]" (7) + 2.
        let fitted = fit(vec![list("L", &["abcdefghij"; 3])], 46, &Bytes);
        let Body::List(items) = &fitted[0].body else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 1);
        assert_eq!(
            fitted[0].cut,
            Some(Cut::Items {
                hidden: 2,
                partial: false
            })
        );
    }

    #[test]
    fn prefixes_are_cut_on_character_boundaries() {
        let s = "ñññ"; // 6 bytes
        assert_eq!(longest_prefix(s, 5, str::len), "ññ");
        assert_eq!(longest_prefix(s, 1, str::len), "");
        assert_eq!(longest_prefix(s, 6, str::len), "ñññ");
        assert_eq!(longest_prefix(s, 0, |p| p.len() + 1), "");
    }

    #[test]
    fn measuring_stops_past_the_limit() {
        let big = text("N", &"x".repeat(50));
        assert_eq!(size_up_to(&big, 20, &Bytes), 21);
        let many = list("L", &["abc"; 100]);
        assert_eq!(size_up_to(&many, 20, &Bytes), 21);
        assert_eq!(size_up_to(&list("L", &["abc"]), 20, &Bytes), 16);
    }
}
