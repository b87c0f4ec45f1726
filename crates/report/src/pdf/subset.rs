//! Font subsetting: a document embeds only the glyphs it draws.
//!
//! printpdf 0.12 subsets fonts only with its `text_layout` feature (which brings a whole
//! layout engine); without it every PDF embedded both DejaVu faces whole (about 750 KB for a
//! two-page board pack). Here the characters each face draws are collected from the pages'
//! ops, the face is cut down to their glyphs with allsorts (already printpdf's font library)
//! and the subset, which keeps a Unicode cmap for exactly those characters, is handed to
//! printpdf in place of the whole face: printpdf then encodes text through the subset's cmap
//! and writes its widths. Advances are those of the whole face, so measured layouts do not
//! change. Deterministic: the same pages give the same subset bytes.

use std::collections::{BTreeMap, BTreeSet};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::{Op, ParsedFont, PdfFontHandle, PdfPage, TextItem};

/// The characters drawn with each font id (`FontId` text) across `pages`.
pub fn used_chars(pages: &[PdfPage]) -> BTreeMap<String, BTreeSet<char>> {
    let mut out: BTreeMap<String, BTreeSet<char>> = BTreeMap::new();
    for p in pages {
        let mut current: Option<String> = None;
        for op in &p.ops {
            match op {
                Op::SetFont {
                    font: PdfFontHandle::External(id),
                    ..
                } => current = Some(id.0.clone()),
                Op::ShowText { items } => {
                    if let Some(id) = &current {
                        let set = out.entry(id.clone()).or_default();
                        for i in items {
                            if let TextItem::Text(s) = i {
                                set.extend(s.chars());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// `font` cut down to the glyphs of `chars` (and `.notdef`), parsed again; `None` when the
/// subsetter fails (the caller then embeds the whole face).
pub fn subset_font(font: &ParsedFont, bytes: &[u8], chars: &BTreeSet<char>) -> Option<ParsedFont> {
    let mut gids: BTreeSet<u16> = chars
        .iter()
        .filter_map(|c| font.lookup_glyph_index(*c as u32))
        .collect();
    gids.remove(&0);
    let ids: Vec<u16> = std::iter::once(0).chain(gids).collect();
    let scope = ReadScope::new(bytes);
    let data = scope.read::<FontData<'_>>().ok()?;
    let provider = data.table_provider(0).ok()?;
    let sub = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode).ok()?;
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(&sub, 0, &mut warnings)?;
    // Every character must still reach a glyph (else it would print as .notdef).
    chars
        .iter()
        .filter(|c| font.lookup_glyph_index(**c as u32).is_some_and(|g| g != 0))
        .all(|c| parsed.lookup_glyph_index(*c as u32).is_some_and(|g| g != 0))
        .then_some(parsed)
}
