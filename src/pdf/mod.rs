//! Shared PDF rendering: a small block-based document model drawn with printpdf.
//!
//! Every document (award notice, agreement, ranking, evaluation summary) is described as a
//! [`Document`] — a list of [`Block`]s — and turned into PDF bytes by [`render`]. The layout is
//! fixed: A4 portrait, 20 mm side margins, one font (Noto Sans SC Regular, shipped in
//! `assets/fonts/` under the SIL OFL 1.1 and compiled into the binary, so Chinese renders on a
//! machine without any system fonts), automatic line wrapping and page breaks, and a footer
//! with the page number ("N / M") on every page.
//!
//! printpdf draws a character the font has no glyph for as *nothing*, without any warning.
//! [`render`] therefore checks every character first and fails with
//! [`PdfError::MissingGlyphs`] instead of producing a document with silent holes.
//!
//! The font is embedded as a subset (only the glyphs actually used), so a one-page document
//! is a few tens of KB even though the font file is ~10 MB.

pub mod award;
pub mod evaluation;
pub mod guide;
pub mod proposal;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, OffsetDateTime, Op, PaintMode, ParsedFont,
    PdfDocument, PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect,
    TextItem, TextMatrix,
};

/// One element of a [`Document`], laid out top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    /// Large centred document title (~18 pt).
    Title(String),
    /// Section heading (~13 pt); kept on the same page as the first lines after it.
    Heading(String),
    /// Body text (~10.5 pt), wrapped to the page width; `'\n'` starts a new line.
    Paragraph(String),
    /// Label → value rows (two columns, the value wraps), e.g. a project's key facts.
    Facts(Vec<(String, String)>),
    /// A grid table: a header row plus data rows. Cells wrap within their column; the header
    /// is repeated at the top of every page the table continues on.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The closing of an official letter: lines set flush right (the issuing body, the
    /// date) below an empty space where the seal goes.
    Signature(Vec<String>),
    /// The verification mark of an issued document: the QR code of `url` (its public
    /// verification page) with the short `code` and the link beside it.
    Verify { code: String, url: String },
}

/// The lines beside a document's QR code.
fn verify_lines(code: &str, url: &str) -> [String; 3] {
    [
        format!("验证码：{}", crate::domain::verify::display(code)),
        format!("扫描二维码或访问 {url}"),
        "核验本文件的真伪、内容摘要与是否有效。".to_string(),
    ]
}

/// The QR code of a verification link (a short URL always fits).
fn verify_qr(url: &str) -> Result<qrcode::QrCode, PdfError> {
    qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| PdfError::Render(format!("QR code of {url}: {e}")))
}

/// Size of one QR module in points (a version-4 code is about 23 mm wide).
const QR_MODULE: f32 = 2.0;

/// A complete PDF document. Issued documents are kept as JSON of this (`documents`), so
/// what a version says is fixed when it is issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// PDF metadata title (shown by viewers in the window title). Not drawn on the page —
    /// add a [`Block::Title`] for a visible title.
    pub title: String,
    pub blocks: Vec<Block>,
    /// Printed at the bottom of each page, next to the page number,
    /// e.g. "益创 · 生成于 2026-11-23 10:00".
    pub footer: String,
    /// A4 landscape (wide tables) instead of portrait.
    #[serde(default)]
    pub landscape: bool,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Some characters cannot be drawn with the bundled font (sorted, without duplicates).
    #[error("characters without a glyph in the font: {0:?}")]
    MissingGlyphs(Vec<char>),
    #[error("pdf: {0}")]
    Render(String),
}

/// Renders `doc` to the bytes of a PDF file.
///
/// Fails with [`PdfError::MissingGlyphs`] if any string (title blocks, cells, footer, …)
/// contains a character the bundled font cannot draw; whitespace and control characters are
/// exempt (tabs become spaces, other control characters are dropped).
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let font = font()?;
    check_glyphs(doc, font)?;

    let mut pdf = PdfDocument::new(&doc.title);
    let info = &mut pdf.metadata.info;
    info.creation_date = OffsetDateTime::now_utc();
    info.modification_date = info.creation_date;
    info.metadata_date = info.creation_date;
    info.creator = "益创".into();
    info.producer = "益创 (printpdf)".into();
    let font_id = pdf.add_font(font);
    let mut layout = Layout::new(font, font_id, doc.landscape);
    for (i, block) in doc.blocks.iter().enumerate() {
        layout.block(block, doc.blocks.get(i + 1));
    }
    let pages = layout.finish(&doc.footer);

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = pdf.with_pages(pages).save(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.clone())
        .collect();
    if !errors.is_empty() {
        return Err(PdfError::Render(errors.join("; ")));
    }
    if bytes.is_empty() {
        return Err(PdfError::Render("printpdf produced no output".into()));
    }
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// Font
// ---------------------------------------------------------------------------------------------

/// Noto Sans SC Regular (SIL OFL 1.1, see `assets/fonts/OFL.txt`): CJK plus Latin and digits.
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Regular.ttf");

/// The bundled font, parsed on first use.
fn font() -> Result<&'static ParsedFont, PdfError> {
    static FONT: OnceLock<Option<ParsedFont>> = OnceLock::new();
    FONT.get_or_init(|| ParsedFont::from_bytes(FONT_BYTES, 0, &mut Vec::new()))
        .as_ref()
        .ok_or_else(|| PdfError::Render("the bundled font could not be parsed".into()))
}

/// The font's glyph for `c`, if it has a real one (glyph 0 is `.notdef`).
fn glyph(font: &ParsedFont, c: char) -> Option<u16> {
    font.lookup_glyph_index(c as u32).filter(|&gid| gid != 0)
}

/// Characters that are neither drawn nor checked: whitespace and control characters.
fn exempt(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

fn check_glyphs(doc: &Document, font: &ParsedFont) -> Result<(), PdfError> {
    let mut missing = BTreeSet::new();
    let mut check = |s: &str| {
        missing.extend(
            s.chars()
                .filter(|&c| !exempt(c) && glyph(font, c).is_none()),
        );
    };
    check(&doc.footer);
    for block in &doc.blocks {
        match block {
            Block::Title(s) | Block::Heading(s) | Block::Paragraph(s) => check(s),
            Block::Signature(lines) => lines.iter().for_each(|s| check(s)),
            Block::Verify { code, url } => {
                verify_qr(url)?;
                verify_lines(code, url).iter().for_each(|s| check(s));
            }
            Block::Facts(rows) => {
                for (label, value) in rows {
                    check(label);
                    check(value);
                }
            }
            Block::Table { header, rows } => {
                header
                    .iter()
                    .chain(rows.iter().flatten())
                    .for_each(|s| check(s));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PdfError::MissingGlyphs(missing.into_iter().collect()))
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry and style (all lengths in PDF points, y measured upwards from the page bottom)
// ---------------------------------------------------------------------------------------------

const PAGE_W: f32 = 595.28; // A4: 210 mm
const PAGE_H: f32 = 841.89; // A4: 297 mm
const MARGIN_X: f32 = 56.69; // 20 mm
const MARGIN_TOP: f32 = 62.36; // 22 mm
const CONTENT_BOTTOM: f32 = 70.87; // 25 mm; the footer lives below this
const FOOTER_BASELINE: f32 = 42.52; // 15 mm
/// Empty space above a [`Block::Signature`] for the seal (about 40 mm).
const SEAL_ROOM: f32 = 113.0;

const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.5;
const FOOTER_SIZE: f32 = 8.5;
const LINE_FACTOR: f32 = 1.5;
/// Inner padding of table / facts cells.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;

const BLACK: f32 = 0.0;
const LABEL_GREY: f32 = 0.35;
const RULE_GREY: f32 = 0.6;
const HEADER_SHADE: f32 = 0.9;

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

fn line_height(size: f32) -> f32 {
    size * LINE_FACTOR
}

// ---------------------------------------------------------------------------------------------
// Line breaking
// ---------------------------------------------------------------------------------------------

/// Characters that may be broken around freely (CJK ideographs, kana, hangul, full-width
/// forms and CJK punctuation).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF
        | 0x2E80..=0x303F
        | 0x3040..=0x9FFF
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0xFE10..=0xFE1F
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// Must not start a line (closing punctuation).
fn no_break_before(c: char) -> bool {
    "，。、；：！？）》」』】〕〉”’…—·%％,.;:!?)]}".contains(c)
}

/// Must not end a line (opening punctuation).
fn no_break_after(c: char) -> bool {
    "（《「『【〔〈“‘([{¥￥$".contains(c)
}

/// May a line break happen between `prev` and `next`?
fn can_break_between(prev: char, next: char) -> bool {
    if next == ' ' {
        return false; // break after a run of spaces, not before it
    }
    if prev == ' ' {
        return true;
    }
    (is_wide(prev) || is_wide(next)) && !no_break_before(next) && !no_break_after(prev)
}

/// Replaces tabs (and whitespace the font cannot draw) with spaces and drops control
/// characters, keeping `'\n'` as a hard line break.
fn clean(font: &ParsedFont, text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c if c.is_whitespace() && glyph(font, c).is_none() => Some(' '),
            c => Some(c),
        })
        .collect()
}

struct Metrics<'a> {
    font: &'a ParsedFont,
    units_per_em: f32,
}

impl<'a> Metrics<'a> {
    fn new(font: &'a ParsedFont) -> Self {
        let upem = font.pdf_font_metrics.units_per_em;
        Self {
            font,
            units_per_em: if upem == 0 { 1000.0 } else { f32::from(upem) },
        }
    }

    /// Advance width of `c` in points at `size`.
    fn char_width(&self, c: char, size: f32) -> f32 {
        let gid = glyph(self.font, c).unwrap_or(0);
        f32::from(self.font.get_horizontal_advance(gid)) / self.units_per_em * size
    }

    fn text_width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c, size)).sum()
    }

    /// Splits `text` into lines no wider than `max_width` at font `size`. CJK text breaks
    /// between any two characters (except before closing / after opening punctuation),
    /// Latin text at spaces; a word longer than a whole line is broken where it overflows.
    /// Always returns at least one (possibly empty) line.
    fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let text = clean(self.font, text);
        let mut lines = Vec::new();
        for hard_line in text.split('\n') {
            self.wrap_line(hard_line, size, max_width, &mut lines);
        }
        lines
    }

    /// Width of the widest piece of `text` that cannot be broken (a Latin word, a CJK
    /// character with its attached punctuation).
    fn min_width(&self, text: &str, size: f32) -> f32 {
        let mut widest = 0.0f32;
        for line in text.split('\n') {
            let mut piece = 0.0;
            let mut prev = None;
            for c in line.chars() {
                if prev.is_some_and(|p| can_break_between(p, c)) {
                    widest = widest.max(piece);
                    piece = 0.0;
                }
                if c != ' ' {
                    piece += self.char_width(c, size);
                }
                prev = Some(c);
            }
            widest = widest.max(piece);
        }
        widest
    }

    fn wrap_line(&self, text: &str, size: f32, max_width: f32, out: &mut Vec<String>) {
        let chars: Vec<char> = text.trim_end().chars().collect();
        if chars.is_empty() {
            out.push(String::new());
            return;
        }
        let widths: Vec<f32> = chars.iter().map(|&c| self.char_width(c, size)).collect();
        let can_break = |i: usize| can_break_between(chars[i - 1], chars[i]);

        let mut start = 0;
        while start < chars.len() {
            // Skip spaces at the start of a wrapped line.
            while start < chars.len() && chars[start] == ' ' && start > 0 {
                start += 1;
            }
            if start >= chars.len() {
                break;
            }
            let mut width = 0.0;
            let mut last_break = None;
            let mut end = start;
            while end < chars.len() {
                if end > start && can_break(end) {
                    last_break = Some(end);
                }
                if width + widths[end] > max_width && end > start {
                    break;
                }
                width += widths[end];
                end += 1;
            }
            if end < chars.len() {
                if let Some(b) = last_break {
                    end = b;
                }
            }
            let line: String = chars[start..end].iter().collect();
            out.push(line.trim_end().to_string());
            start = end;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

/// How a row of cells is decorated.
#[derive(Clone, Copy)]
enum RowKind {
    /// Facts row: grey label column, thin rule underneath.
    Facts,
    /// Table header: shaded, boxed.
    TableHeader,
    /// Table body row: boxed.
    TableBody,
}

/// A row ready to draw: the wrapped lines of each cell.
struct Row {
    cells: Vec<Vec<String>>,
    kind: RowKind,
}

impl Row {
    fn line_count(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(1).max(1)
    }

    fn height(&self) -> f32 {
        self.line_count() as f32 * line_height(BODY_SIZE) + 2.0 * CELL_PAD_Y
    }
}

/// A facts block or table, wrapped to its column widths.
struct Grid {
    widths: Vec<f32>,
    header: Option<Row>,
    body: Vec<Row>,
}

impl Grid {
    /// Height of the start of the grid that must not be separated: the header plus the first
    /// row — or, if that row will be split across pages anyway, its first two lines.
    fn lead_height(&self, content_top: f32) -> f32 {
        let header = self.header.as_ref().map_or(0.0, Row::height);
        let first = self.body.first().map_or(0.0, |row| {
            if header + row.height() <= content_top - CONTENT_BOTTOM {
                row.height()
            } else {
                2.0 * line_height(BODY_SIZE) + 2.0 * CELL_PAD_Y
            }
        });
        header + first
    }
}

struct Layout<'a> {
    metrics: Metrics<'a>,
    font_id: FontId,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Top of the free space on the current page.
    y: f32,
    /// The page's size (portrait or landscape), its content width and top.
    page_w: f32,
    page_h: f32,
    content_w: f32,
    content_top: f32,
}

impl<'a> Layout<'a> {
    fn new(font: &'a ParsedFont, font_id: FontId, landscape: bool) -> Self {
        let (page_w, page_h) = if landscape {
            (PAGE_H, PAGE_W)
        } else {
            (PAGE_W, PAGE_H)
        };
        let content_top = page_h - MARGIN_TOP;
        Self {
            metrics: Metrics::new(font),
            font_id,
            pages: Vec::new(),
            ops: Vec::new(),
            y: content_top,
            page_w,
            page_h,
            content_w: page_w - 2.0 * MARGIN_X,
            content_top,
        }
    }

    fn at_page_top(&self) -> bool {
        self.y >= self.content_top - 0.01
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = self.content_top;
    }

    /// Starts a new page unless `height` still fits (or we are already at the top).
    fn ensure_space(&mut self, height: f32) {
        if self.y - height < CONTENT_BOTTOM && !self.at_page_top() {
            self.new_page();
        }
    }

    /// Moves down by `gap`, unless at the top of a page.
    fn space(&mut self, gap: f32) {
        if !self.at_page_top() {
            self.y = (self.y - gap).max(CONTENT_BOTTOM);
        }
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, colour: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: grey(colour) },
            Op::SetFont {
                font: PdfFontHandle::External(self.font_id.clone()),
                size: Pt(size),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(x), Pt(baseline)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32, colour: f32, thickness: f32) {
        let point = |x: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineColor { col: grey(colour) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1), point(x2)],
                    is_closed: false,
                },
            },
        ]);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, mode: PaintMode, colour: f32) {
        // Without an explicit paint mode printpdf ends the path without painting it.
        let mut rectangle = Rect::from_xywh(Pt(x), Pt(y), Pt(w), Pt(h));
        rectangle.mode = Some(mode);
        self.ops.extend([
            match mode {
                PaintMode::Fill => Op::SetFillColor { col: grey(colour) },
                _ => Op::SetOutlineColor { col: grey(colour) },
            },
            Op::SetOutlineThickness { pt: Pt(0.5) },
            Op::DrawRectangle { rectangle },
        ]);
    }

    /// Draws wrapped lines of one style; `centred` centres each line on the page.
    fn lines(&mut self, lines: &[String], size: f32, keep_with_next: f32, centred: bool) {
        let lh = line_height(size);
        for (i, line) in lines.iter().enumerate() {
            let needed = if i == 0 { lh + keep_with_next } else { lh };
            self.ensure_space(needed);
            let x = if centred {
                MARGIN_X + ((self.content_w - self.metrics.text_width(line, size)) / 2.0).max(0.0)
            } else {
                MARGIN_X
            };
            let baseline = baseline_in(self.y, lh, size);
            self.text(x, baseline, size, BLACK, line);
            self.y -= lh;
        }
    }

    /// Lays out `block`; `next` is the block after it (a heading is kept with its start).
    fn block(&mut self, block: &Block, next: Option<&Block>) {
        match block {
            Block::Title(text) => {
                let lines = self.metrics.wrap(text, TITLE_SIZE, self.content_w);
                self.lines(&lines, TITLE_SIZE, 0.0, true);
                self.y -= 10.0;
            }
            Block::Heading(text) => {
                self.space(8.0);
                let lines = self.metrics.wrap(text, HEADING_SIZE, self.content_w);
                let own = lines.len() as f32 * line_height(HEADING_SIZE) + 3.0;
                let keep = next.map_or(0.0, |b| self.lead_height(b));
                // Never demand more than a fresh page can give.
                let keep = keep.min(self.content_top - CONTENT_BOTTOM - own).max(0.0);
                self.ensure_space(own + keep);
                self.lines(&lines, HEADING_SIZE, 0.0, false);
                self.y -= 3.0;
            }
            Block::Paragraph(text) => {
                let lines = self.metrics.wrap(text, BODY_SIZE, self.content_w);
                self.lines(&lines, BODY_SIZE, 0.0, false);
                self.y -= 6.0;
            }
            Block::Signature(lines) => {
                // Room for the seal above the issuing body and the date.
                let lh = line_height(BODY_SIZE);
                self.space(12.0);
                self.ensure_space(SEAL_ROOM + lines.len() as f32 * lh);
                self.y -= SEAL_ROOM;
                for line in lines {
                    let w = self.metrics.text_width(line, BODY_SIZE);
                    let x = (self.page_w - MARGIN_X - w).max(MARGIN_X);
                    let baseline = baseline_in(self.y, lh, BODY_SIZE);
                    self.text(x, baseline, BODY_SIZE, BLACK, line);
                    self.y -= lh;
                }
            }
            Block::Facts(rows) => self.grid(self.facts_grid(rows)),
            Block::Table { header, rows } => self.grid(self.table_grid(header, rows)),
            Block::Verify { code, url } => self.verify_mark(code, url),
        }
    }

    /// The QR code of the verification link at the left, its code and link beside it.
    fn verify_mark(&mut self, code: &str, url: &str) {
        // Checked before layout (`check_glyphs`): a link too long for a QR code never gets here.
        let Ok(qr) = verify_qr(url) else { return };
        let n = qr.width();
        let side = n as f32 * QR_MODULE;
        self.space(12.0);
        self.ensure_space(side + 8.0);
        let top = self.y - 4.0;
        let colors = qr.to_colors();
        for row in 0..n {
            let bottom = top - (row + 1) as f32 * QR_MODULE;
            let mut col = 0;
            while col < n {
                if colors[row * n + col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let x = MARGIN_X + start as f32 * QR_MODULE;
                let w = (col - start) as f32 * QR_MODULE;
                self.rect(x, bottom, w, QR_MODULE, PaintMode::Fill, BLACK);
            }
        }
        let lh = line_height(BODY_SIZE);
        let x = MARGIN_X + side + 12.0;
        let width = self.content_w - side - 12.0;
        let mut y = top;
        for line in verify_lines(code, url) {
            for part in self.metrics.wrap(&line, BODY_SIZE, width) {
                self.text(x, baseline_in(y, lh, BODY_SIZE), BODY_SIZE, BLACK, &part);
                y -= lh;
            }
        }
        self.y = (top - side).min(y) - 6.0;
    }

    /// Height of the part of `block` that should not be separated from a heading above it:
    /// two lines of a paragraph, the first row of facts, the header and first row of a table.
    fn lead_height(&self, block: &Block) -> f32 {
        match block {
            Block::Title(_) | Block::Heading(_) | Block::Signature(_) | Block::Verify { .. } => 0.0,
            Block::Paragraph(text) => {
                let lines = self
                    .metrics
                    .wrap(text, BODY_SIZE, self.content_w)
                    .len()
                    .min(2);
                lines as f32 * line_height(BODY_SIZE)
            }
            Block::Facts(rows) => self.facts_grid(rows).lead_height(self.content_top),
            Block::Table { header, rows } => {
                self.table_grid(header, rows).lead_height(self.content_top)
            }
        }
    }

    fn facts_grid(&self, rows: &[(String, String)]) -> Grid {
        let natural = rows
            .iter()
            .map(|(label, _)| {
                let label = clean(self.metrics.font, label);
                label
                    .split('\n')
                    .map(|l| self.metrics.text_width(l, BODY_SIZE))
                    .fold(0.0, f32::max)
            })
            .fold(0.0, f32::max);
        let label_w =
            (natural + 2.0 * CELL_PAD_X + 8.0).clamp(self.content_w * 0.2, self.content_w * 0.38);
        let widths = vec![label_w, self.content_w - label_w];
        let body = rows
            .iter()
            .map(|(label, value)| Row {
                cells: vec![
                    self.metrics
                        .wrap(label, BODY_SIZE, widths[0] - 2.0 * CELL_PAD_X),
                    self.metrics
                        .wrap(value, BODY_SIZE, widths[1] - 2.0 * CELL_PAD_X),
                ],
                kind: RowKind::Facts,
            })
            .collect();
        Grid {
            widths,
            header: None,
            body,
        }
    }

    fn table_grid(&self, header: &[String], rows: &[Vec<String>]) -> Grid {
        let columns = rows
            .iter()
            .map(Vec::len)
            .chain([header.len()])
            .max()
            .unwrap_or(0);
        let widths = self.column_widths(header, rows, columns);
        let wrap_row = |row: &[String], kind: RowKind| Row {
            cells: (0..columns)
                .map(|i| {
                    self.metrics
                        .wrap(cell(row, i), BODY_SIZE, widths[i] - 2.0 * CELL_PAD_X)
                })
                .collect(),
            kind,
        };
        let header =
            (!header.is_empty() && columns > 0).then(|| wrap_row(header, RowKind::TableHeader));
        let body = if columns == 0 {
            Vec::new()
        } else {
            rows.iter()
                .map(|r| wrap_row(r, RowKind::TableBody))
                .collect()
        };
        Grid {
            widths,
            header,
            body,
        }
    }

    fn grid(&mut self, grid: Grid) {
        if grid.header.is_none() && grid.body.is_empty() {
            return;
        }
        // Repeat the header on continuation pages unless it is absurdly tall.
        let repeat = grid
            .header
            .as_ref()
            .filter(|h| h.height() < (self.content_top - CONTENT_BOTTOM) / 3.0);
        if let Some(header) = &grid.header {
            // Keep the header together with the first row.
            self.ensure_space(grid.lead_height(self.content_top));
            self.row(header, &grid.widths, None);
        }
        for row in &grid.body {
            self.row(row, &grid.widths, repeat);
        }
        self.y -= 8.0;
    }

    /// Column widths filling the content width. When every column fits unwrapped, each gets
    /// its natural width plus an equal share of the slack. Otherwise the widths are
    /// "water-filled": all columns grow together up to their natural width, so narrow columns
    /// stay unwrapped and the wide ones share the rest equally — but no column is made
    /// narrower than its longest unbreakable word (or an equal share of the width).
    fn column_widths(&self, header: &[String], rows: &[Vec<String>], columns: usize) -> Vec<f32> {
        let pad = 2.0 * CELL_PAD_X + 1.0;
        let mut natural = vec![pad; columns];
        let mut minimum = vec![pad; columns];
        for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
            for (i, text) in row.iter().enumerate() {
                let text = clean(self.metrics.font, text);
                let w = text
                    .split('\n')
                    .map(|l| self.metrics.text_width(l, BODY_SIZE))
                    .fold(0.0, f32::max);
                natural[i] = natural[i].max(w + pad);
                minimum[i] = minimum[i].max(self.metrics.min_width(&text, BODY_SIZE) + pad);
            }
        }
        if columns == 0 {
            return natural;
        }
        let total: f32 = natural.iter().sum();
        if total <= self.content_w {
            let extra = (self.content_w - total) / columns as f32;
            return natural.iter().map(|w| w + extra).collect();
        }
        // Words (identifiers such as 申报编号) are kept whole while the narrowest columns
        // still fit; otherwise a word longer than an equal share of the width may be broken.
        let third = self.content_w / 3.0;
        if minimum.iter().map(|m| m.min(third)).sum::<f32>() <= self.content_w {
            minimum.iter_mut().for_each(|m| *m = m.min(third));
        } else {
            let share = self.content_w / columns as f32;
            minimum.iter_mut().for_each(|m| *m = m.min(share));
        }
        let fill = |level: f32| -> Vec<f32> {
            natural
                .iter()
                .zip(&minimum)
                .map(|(&n, &m)| level.clamp(m.min(n), n))
                .collect()
        };
        let (mut low, mut high) = (0.0f32, self.content_w);
        for _ in 0..40 {
            let mid = (low + high) / 2.0;
            if fill(mid).iter().sum::<f32>() > self.content_w {
                high = mid;
            } else {
                low = mid;
            }
        }
        let mut widths = fill(low);
        // Give the rounding remainder to the widest column.
        let rest = self.content_w - widths.iter().sum::<f32>();
        if let Some(widest) = widths.iter_mut().max_by(|a, b| a.total_cmp(b)) {
            *widest += rest;
        }
        widths
    }

    /// Draws one row at the cursor, moving to a new page first if it does not fit (and
    /// splitting it across pages if it is taller than a page). `repeat` is drawn at the top
    /// of every new page this row starts.
    fn row(&mut self, row: &Row, widths: &[f32], repeat: Option<&Row>) {
        let lh = line_height(BODY_SIZE);
        let total = row.line_count();
        let page_room = self.content_top - CONTENT_BOTTOM - repeat.map_or(0.0, Row::height);
        let fits_on_fresh_page = row.height() <= page_room;
        // Nothing but (possibly) the repeated header has been drawn on this page yet.
        let mut fresh = self.at_page_top();
        let mut first = 0;
        while first < total {
            let room = self.y - CONTENT_BOTTOM - 2.0 * CELL_PAD_Y;
            let fits = (room / lh).floor().max(0.0) as usize;
            let rest = total - first;
            if fits < rest && !fresh && ((first == 0 && fits_on_fresh_page) || fits == 0) {
                self.page_break(widths, repeat);
                fresh = true;
                continue;
            }
            let count = rest.min(fits.max(1));
            self.row_slice(row, widths, first, count);
            first += count;
            if first < total {
                self.page_break(widths, repeat);
                fresh = true;
            }
        }
    }

    fn page_break(&mut self, widths: &[f32], repeat: Option<&Row>) {
        self.new_page();
        if let Some(header) = repeat {
            self.row(header, widths, None);
        }
    }

    /// Draws lines `first..first + count` of every cell of `row` as one band.
    fn row_slice(&mut self, row: &Row, widths: &[f32], first: usize, count: usize) {
        let lh = line_height(BODY_SIZE);
        let height = count as f32 * lh + 2.0 * CELL_PAD_Y;
        let top = self.y;
        let bottom = top - height;
        let right = MARGIN_X + widths.iter().sum::<f32>();
        if let RowKind::TableHeader = row.kind {
            self.rect(
                MARGIN_X,
                bottom,
                right - MARGIN_X,
                height,
                PaintMode::Fill,
                HEADER_SHADE,
            );
        }
        let mut x = MARGIN_X;
        for (i, (lines, &w)) in row.cells.iter().zip(widths).enumerate() {
            let colour = match row.kind {
                RowKind::Facts if i == 0 => LABEL_GREY,
                _ => BLACK,
            };
            for (j, line) in lines.iter().skip(first).take(count).enumerate() {
                let line_top = top - CELL_PAD_Y - j as f32 * lh;
                let baseline = baseline_in(line_top, lh, BODY_SIZE);
                self.text(x + CELL_PAD_X, baseline, BODY_SIZE, colour, line);
            }
            if !matches!(row.kind, RowKind::Facts) {
                self.rect(x, bottom, w, height, PaintMode::Stroke, RULE_GREY);
            }
            x += w;
        }
        if let RowKind::Facts = row.kind {
            self.hline(MARGIN_X, right, bottom, 0.85, 0.5);
        }
        self.y = bottom;
    }

    /// Closes the last page and draws the footer and "N / M" on every page.
    fn finish(mut self, footer: &str) -> Vec<PdfPage> {
        if !self.ops.is_empty() || self.pages.is_empty() {
            self.new_page();
        }
        let pages = std::mem::take(&mut self.pages);
        let count = pages.len();
        let footer = clean(self.metrics.font, footer).replace('\n', " ");
        pages
            .into_iter()
            .enumerate()
            .map(|(i, ops)| {
                self.ops = ops;
                let number = format!("{} / {}", i + 1, count);
                let number_w = self.metrics.text_width(&number, FOOTER_SIZE);
                self.hline(
                    MARGIN_X,
                    self.page_w - MARGIN_X,
                    FOOTER_BASELINE + 12.0,
                    0.8,
                    0.5,
                );
                // Shrink a long footer so it never runs into the page number.
                let room = self.content_w - number_w - 12.0;
                let natural = self.metrics.text_width(&footer, FOOTER_SIZE);
                let size = if natural > room {
                    (FOOTER_SIZE * room / natural).max(4.0)
                } else {
                    FOOTER_SIZE
                };
                self.text(MARGIN_X, FOOTER_BASELINE, size, LABEL_GREY, &footer);
                self.text(
                    self.page_w - MARGIN_X - number_w,
                    FOOTER_BASELINE,
                    FOOTER_SIZE,
                    LABEL_GREY,
                    &number,
                );
                let (w, h) = (Mm::from(Pt(self.page_w)), Mm::from(Pt(self.page_h)));
                PdfPage::new(w, h, std::mem::take(&mut self.ops))
            })
            .collect()
    }
}

/// The `i`-th cell of a table row; missing cells are empty.
fn cell(row: &[String], i: usize) -> &str {
    row.get(i).map(String::as_str).unwrap_or("")
}

/// Baseline of a line of text at `size` whose line box of height `lh` starts at `top`:
/// the em box (baseline −0.12 em … +0.88 em for Noto Sans SC) is centred in the line box.
fn baseline_in(top: f32, lh: f32, size: f32) -> f32 {
    top - lh / 2.0 - 0.38 * size
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const WRAPPED: &str =
        "本项目面向苏州工业园区的社区老年人，提供日间照料、助餐配餐和精神慰藉等服务，\
        计划在十二个月内覆盖三个社区，服务不少于两千人次。The project also trains volunteers \
        from local universities in basic elderly care, first aid and digital literacy so that \
        the service can continue after the grant period ends. 项目结束后将形成可复制的服务手册，\
        并向其他社区推广。WRAPEND";

    fn sample() -> Document {
        let rows = (1..=40)
            .map(|i| {
                vec![
                    i.to_string(),
                    format!("第{i}号项目 Community Care"),
                    format!("{}.5", 60 + i % 30),
                    if i % 2 == 0 { "入围" } else { "未入围" }.to_string(),
                ]
            })
            .collect();
        Document {
            title: "立项通知书".into(),
            blocks: vec![
                Block::Title("立项通知书".into()),
                Block::Facts(vec![
                    ("机构名称".into(), "苏州市某某社会工作服务中心".into()),
                    ("统一社会信用代码".into(), "52320508MJ0000001X".into()),
                    ("资助金额".into(), "¥50,000.00".into()),
                ]),
                Block::Heading("一、项目概况 Overview".into()),
                Block::Paragraph(WRAPPED.into()),
                Block::Heading("二、评审排名".into()),
                Block::Table {
                    header: vec![
                        "序号".into(),
                        "项目名称".into(),
                        "得分".into(),
                        "结果".into(),
                    ],
                    rows,
                },
            ],
            footer: "益创 · 生成于 2026-11-23 10:00".into(),
            landscape: false,
        }
    }

    /// Writes `bytes` to a temporary file and returns `pdftotext -layout` output, one string
    /// per page.
    fn pdftotext(bytes: &[u8]) -> Vec<String> {
        let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let out = Command::new("pdftotext")
            .arg("-layout")
            .arg(file.path())
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) must be installed");
        assert!(out.status.success(), "pdftotext failed: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        text.split('\u{c}')
            .filter(|page| !page.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Text with all whitespace removed, so wrapped lines can be matched as one string.
    fn squash(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// The page has a line with the footer text followed by "n / total". (`pdftotext -layout`
    /// drops the narrow spaces around the slash, `-raw` keeps them.)
    fn assert_footer(page: &str, footer: &str, n: usize, total: usize) {
        let line = page
            .lines()
            .find(|l| l.contains(footer))
            .unwrap_or_else(|| panic!("footer {footer:?} missing:\n{page}"));
        assert!(
            squash(line).ends_with(&format!("{n}/{total}")),
            "no page number {n}/{total} in {line:?}"
        );
    }

    #[test]
    fn renders_chinese_and_english_across_two_pages() {
        let bytes = render(&sample()).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(
            bytes.len() < 500 * 1024,
            "font not subset? PDF is {} bytes",
            bytes.len()
        );

        let pages = pdftotext(&bytes);
        assert_eq!(pages.len(), 2, "expected two pages: {pages:#?}");
        let all = pages.concat();
        for needle in [
            "立项通知书",
            "统一社会信用代码",
            "52320508MJ0000001X",
            "¥50,000.00",
            "一、项目概况 Overview",
            "第1号项目 Community Care",
            "第40号项目 Community Care",
        ] {
            assert!(all.contains(needle), "{needle:?} missing from:\n{all}");
        }
        // The paragraph is wrapped over several lines but complete, in order.
        assert!(squash(&all).contains(&squash(WRAPPED)), "{all}");
        let para_lines = all
            .lines()
            .skip_while(|l| !l.contains("本项目面向"))
            .take_while(|l| !l.contains("WRAPEND"))
            .count();
        assert!(para_lines >= 3, "paragraph not wrapped: {all}");
        assert!(
            all.lines()
                .all(|l| !l.contains("本项目面向") || !l.contains("WRAPEND")),
            "paragraph on one line: {all}"
        );

        for (i, page) in pages.iter().enumerate() {
            assert_footer(page, "益创 · 生成于 2026-11-23 10:00", i + 1, 2);
        }
        // The table continues on page 2 under a repeated header.
        assert!(pages[1].contains("第40号项目"), "{}", pages[1]);
        assert!(!pages[0].contains("第40号项目"), "{}", pages[0]);
        assert!(pages[1].contains("序号") && pages[1].contains("项目名称"));
    }

    #[test]
    fn font_is_embedded_as_subset() {
        let bytes = render(&sample()).unwrap();
        let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        let out = Command::new("pdffonts").arg(file.path()).output().unwrap();
        assert!(out.status.success());
        let listing = String::from_utf8(out.stdout).unwrap();
        // name                       type              encoding   emb sub uni …
        let font_line = listing
            .lines()
            .find(|l| l.contains("NotoSansSC"))
            .unwrap_or_else(|| panic!("font not listed:\n{listing}"));
        assert!(
            font_line.contains("yes yes yes"),
            "not embedded + subset + unicode:\n{listing}"
        );
    }

    #[test]
    fn missing_glyphs_are_reported() {
        let mut doc = sample();
        doc.blocks.push(Block::Paragraph("谢谢 🙂".into()));
        doc.blocks.push(Block::Table {
            header: vec!["a".into()],
            rows: vec![vec!["\u{E000}".into()]],
        });
        match render(&doc) {
            Err(PdfError::MissingGlyphs(chars)) => assert_eq!(chars, vec!['\u{E000}', '🙂']),
            other => panic!("expected MissingGlyphs, got {other:?}"),
        }

        let footer_only = Document {
            footer: "页脚 \u{E000}".into(),
            ..Document::default()
        };
        assert!(matches!(
            render(&footer_only),
            Err(PdfError::MissingGlyphs(c)) if c == vec!['\u{E000}']
        ));
    }

    #[test]
    fn common_document_characters_have_glyphs() {
        let font = font().unwrap();
        let text = "0123456789 ABCXYZ abcxyz ，。、；：！？（）《》“”‘’【】—…·¥￥％% @#&*+-=/\\_ \
                    °×÷±№一二三四五六七八九十百千万亿元角分壹贰叁肆伍陆柒捌玖拾佰仟";
        let missing: Vec<char> = text
            .chars()
            .filter(|&c| !exempt(c) && glyph(font, c).is_none())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn wrap_breaks_cjk_anywhere_and_latin_at_spaces() {
        let metrics = Metrics::new(font().unwrap());
        let width = 120.0;

        let cjk = "益创公益创投资助管理系统".repeat(4);
        let lines = metrics.wrap(&cjk, BODY_SIZE, width);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat(), cjk);
        for line in &lines {
            assert!(metrics.text_width(line, BODY_SIZE) <= width, "{line:?}");
        }

        let latin = "the quick brown fox jumps over the lazy dog again and again";
        let lines = metrics.wrap(latin, BODY_SIZE, width);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" "), latin);
        for line in &lines {
            assert!(metrics.text_width(line, BODY_SIZE) <= width, "{line:?}");
        }

        // Closing punctuation never starts a line; a word longer than the line is split.
        let punct = "一二三四五六七八九十一二三四五六七八九，十".repeat(3);
        assert!(metrics
            .wrap(&punct, BODY_SIZE, width)
            .iter()
            .all(|l| !l.starts_with('，')));
        let long = "x".repeat(200);
        let lines = metrics.wrap(&long, BODY_SIZE, width);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);

        assert_eq!(
            metrics.wrap("一\n\n二\t三", BODY_SIZE, width),
            ["一", "", "二 三"]
        );
    }

    #[test]
    fn empty_document_has_one_page_with_footer() {
        let doc = Document {
            title: "空".into(),
            blocks: vec![],
            footer: "益创".into(),
            landscape: false,
        };
        let pages = pdftotext(&render(&doc).unwrap());
        assert_eq!(pages.len(), 1);
        assert_footer(&pages[0], "益创", 1, 1);
    }
}
