//! The one sanitiser for everything switchboard prints: text that comes from a spec or from a
//! PCC (names, prompts, nicknames, test names, ids, messages, URLs) passes through the function
//! of the sink it reaches before it is written there.
//!
//! Every sink starts from [`clean`]: credentials inside URLs redacted ([`crate::sensitive`]),
//! then every [hazard](is_hazard) (control characters and escape sequences, bidirectional
//! controls, line and paragraph separators, invisible characters, noncharacters) shown as an
//! escape (`\u{1b}`, `\r`, `\u{202e}`), so that text can neither drive a terminal, start a
//! line, reorder what a reviewer reads, nor hide. Then each sink escapes its own syntax:
//!
//! | sink | function |
//! |---|---|
//! | a terminal or a log, inline | [`terminal`] |
//! | a whole output for a terminal or a CI log (the binary's last step) | [`terminal_output`] |
//! | Markdown prose, table cells, headings | [`markdown_inline`] |
//! | a Markdown code span | [`markdown_code`] |
//! | text inside HTML in Markdown (`<summary>`) | [`markdown_html`] |
//! | a quoted Mermaid label | [`mermaid`] |
//! | a quoted Graphviz DOT string | [`dot`] |
//! | HTML and SVG text and attribute values | [`html`] |
//! | a serialized JSON document | [`json`] |
//! | a GitHub Actions workflow command's message, or one of its properties | [`github_command_value`], [`github_command_property`] |
//!
//! Pure: no IO. `docs/security.md` ("Printed text") says what each sink protects against.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::sensitive;

/// C0 controls, DEL and C1 controls: what drives a terminal (ESC starts its sequences, CR
/// overwrites a line, and GitHub Actions reads CR as a line break).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// The bidirectional controls (embeddings, overrides, isolates, marks): they reorder the text
/// around them, so that a reviewer reads something else than what is there.
pub fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The Unicode line and paragraph separators: line breaks to some readers, not to others.
pub fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that draw nothing, or a blank: format characters (zero-width space, word
/// joiner, invisible operators, the byte-order mark, soft hyphen, the tag characters, and
/// the other format characters of Unicode's `Cf` category that are not bidirectional
/// controls), and the letters that draw as a blank (the Hangul fillers, the braille blank,
/// the Khmer inherent vowels, the combining grapheme joiner, Mongolian selectors).
///
/// Not here: the zero-width joiner and non-joiner (emoji sequences and several scripts need
/// them; see [`is_stray_joiner`]) and the variation selectors (emoji presentation).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{0600}'..='\u{0605}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
        | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}' | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

/// Unicode's noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, and the last two code points of
/// every plane): never text, and XML (SVG, the report) forbids U+FFFE and U+FFFF.
pub fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    n & 0xFFFE == 0xFFFE || (0xFDD0..=0xFDEF).contains(&n)
}

/// The zero-width joiner and non-joiner.
pub fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// A joiner that joins nothing a joiner is for: at either end of the text, or next to an ASCII
/// character (`sa\u{200D}les` reads as `sales`). Between two other characters (an emoji
/// sequence, Persian or Devanagari text) it is part of the writing.
pub fn is_stray_joiner(before: Option<char>, c: char, after: Option<char>) -> bool {
    is_joiner(c) && !matches!((before, after), (Some(b), Some(a)) if !b.is_ascii() && !a.is_ascii())
}

/// Spaces other than U+0020 (no-break space, the typographic spaces, the ideographic space):
/// they read as a plain space, so two names that differ by one look the same.
pub fn is_odd_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// A character no sink writes as it is: [`is_control`], [`is_bidi`], [`is_line_separator`],
/// [`is_invisible`] or [`is_noncharacter`]. (A stray joiner is one too, in context: see
/// [`visible`].)
pub fn is_hazard(c: char) -> bool {
    is_control(c) || is_bidi(c) || is_line_separator(c) || is_invisible(c) || is_noncharacter(c)
}

/// `s` with every hazard, and every stray joiner, written as an escape: `\t`, `\n`, `\r`, or
/// `\u{hex}`. Everything else, backslashes included, is left as it is.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// [`visible`], keeping the characters `keep` says yes to.
fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let needs = |before: Option<char>, c: char, after: Option<char>| {
        !keep(c) && (is_hazard(c) || is_stray_joiner(before, c, after))
    };
    let chars: Vec<char> = s.chars().collect();
    let at = |i: usize| -> (Option<char>, char, Option<char>) {
        (
            i.checked_sub(1).map(|j| chars[j]),
            chars[i],
            chars.get(i + 1).copied(),
        )
    };
    if !(0..chars.len()).any(|i| {
        let (b, c, a) = at(i);
        needs(b, c, a)
    }) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for i in 0..chars.len() {
        let (b, c, a) = at(i);
        if needs(b, c, a) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `s` as a quoted string for a message (`"sales\u{202e}"`): Rust's debug quoting (quotes
/// and backslashes escaped), with every hazard, even those it calls printable (the Hangul
/// filler, the braille blank), escaped.
pub fn quoted(s: &str) -> String {
    visible(&format!("{s:?}")).into_owned()
}

/// What every sink starts from: credentials in URLs redacted, then hazards made
/// [`visible`].
pub fn clean(s: &str) -> Cow<'_, str> {
    match sensitive::redact(s) {
        Cow::Borrowed(s) => visible(s),
        Cow::Owned(s) => Cow::Owned(visible(&s).into_owned()),
    }
}

/// Untrusted text inline in a line for a terminal or a log: [`clean`].
pub fn terminal(s: &str) -> Cow<'_, str> {
    clean(s)
}

/// [`terminal`] of each line of `s`, the line feeds kept: for a message of several lines
/// that switchboard wrote around untrusted text (an error and its causes).
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.contains('\n') {
        return terminal(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(terminal).collect();
    if lines.iter().all(|l| matches!(l, Cow::Borrowed(_))) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(lines.join("\n"))
}

/// How a whole output is written ([`terminal_output`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Terminal {
    /// switchboard colours this stream: ANSI colour sequences (`ESC [ digits ; m`) are its
    /// own and pass. Otherwise every `ESC` is escaped.
    pub colours: bool,
    /// `--show-sensitive` on a terminal: credentials in URLs are not redacted.
    pub reveal: bool,
}

/// A whole output about to be written to a terminal, a log or a CI log: the last line of
/// defence, for text that was already built. Line by line, it
///
/// - writes hazards as escapes ([`visible`]), except the tab, the line feed that ends each
///   line and, on a stream switchboard colours, ANSI colour sequences (untrusted text has
///   already had its `ESC` escaped by [`terminal`]: with colours on, a colour sequence in a
///   name would otherwise pass here);
/// - redacts credentials in URLs, unless `reveal`;
/// - puts a `\` before a line that would start a CI workflow command once its leading
///   whitespace and colours are skipped: `::` (GitHub Actions) and `##[` / `##vso[` /
///   `##teamcity[` (Azure Pipelines, TeamCity), whatever put it there (a padded name that a
///   wrapped help line starts with, say).
pub fn terminal_output(s: &str, how: Terminal) -> Cow<'_, str> {
    let mut changed = false;
    let mut out = String::new();
    for (i, original) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line: Cow<'_, str> = if how.colours {
            escape_keeping_colours(original)
        } else {
            escape_with(original, |c| c == '\t')
        };
        if !how.reveal
            && let Cow::Owned(redacted) = sensitive::redact(&line)
        {
            line = Cow::Owned(redacted);
        }
        if let Some(at) = workflow_command_at(&line) {
            let mut fixed = String::with_capacity(line.len() + 1);
            fixed.push_str(&line[..at]);
            fixed.push('\\');
            fixed.push_str(&line[at..]);
            line = Cow::Owned(fixed);
        }
        changed |= line != original;
        out.push_str(&line);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// The length of an ANSI colour sequence (`ESC [ [0-9;]* m`) at the start of `s`, if one is
/// there.
fn colour_sequence(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\x1b[")?;
    let params = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (rest.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

fn escape_keeping_colours(line: &str) -> Cow<'_, str> {
    if !line
        .chars()
        .any(|c| c != '\t' && (is_hazard(c) || is_joiner(c)))
    {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(n) = colour_sequence(rest) {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        // Up to the next ESC, escaped as one piece (so that joiners see their neighbours).
        // (After the first character, which may be more than one byte: `✓` after a colour.)
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let next = rest[first..].find('\x1b').map_or(rest.len(), |i| i + first);
        out.push_str(&escape_with(&rest[..next], |c| c == '\t'));
        rest = &rest[next..];
    }
    Cow::Owned(out)
}

/// Where a CI workflow command would start on `line`: after leading whitespace (what the
/// GitHub runner trims) and colour sequences. `None` when the line starts no command.
fn workflow_command_at(line: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &line[at..];
        if let Some(n) = colour_sequence(rest) {
            at += n;
        } else if let Some(c) = rest.chars().next().filter(|c| c.is_whitespace()) {
            at += c.len_utf8();
        } else {
            break;
        }
    }
    let rest = &line[at..];
    if rest.starts_with("::") {
        return Some(at);
    }
    let after = rest.strip_prefix("##")?;
    let name = after.bytes().take_while(u8::is_ascii_alphabetic).count();
    after[name..].starts_with('[').then_some(at)
}

/// A whole file as a snippet may show it (diagnostics draw lines of spec files): its lines
/// kept (line feeds, and the carriage return of a CRLF ending), tabs kept, every other hazard
/// written as an escape and every credential in a URL redacted, with the map between offsets
/// in the file and offsets in what is shown, so that labels still point at the right place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The text to show.
    pub text: String,
    /// Runs of the file and what each became: `(shown start, file start, shown length, file
    /// length)`, in order, covering both texts. A run whose two lengths are equal and whose
    /// text is unchanged maps offset for offset.
    pieces: Vec<(usize, usize, usize, usize)>,
}

impl Shown {
    /// `file` as it may be shown; `None` when it can be shown as it is.
    pub fn of(file: &str) -> Option<Shown> {
        let mut edits: Vec<(std::ops::Range<usize>, String)> = sensitive::redactions(file);
        let mut hazards = Vec::new();
        let chars: Vec<(usize, char)> = file.char_indices().collect();
        for (k, &(at, c)) in chars.iter().enumerate() {
            let before = k.checked_sub(1).map(|j| chars[j].1);
            let after = chars.get(k + 1).map(|&(_, c)| c);
            let kept = c == '\n' || c == '\t' || (c == '\r' && after == Some('\n'));
            if !kept && (is_hazard(c) || is_stray_joiner(before, c, after)) {
                let mut escaped = String::new();
                push_escape(&mut escaped, c);
                hazards.push((at..at + c.len_utf8(), escaped));
            }
        }
        if edits.is_empty() && hazards.is_empty() {
            return None;
        }
        // A hazard inside a redacted URL goes with the URL.
        hazards.retain(|(h, _)| {
            !edits
                .iter()
                .any(|(r, _)| r.start <= h.start && h.end <= r.end)
        });
        edits.extend(hazards);
        edits.sort_by_key(|(r, _)| r.start);
        let mut text = String::with_capacity(file.len() + 16);
        let mut pieces = Vec::new();
        let mut done = 0;
        for (range, replacement) in edits {
            if range.start > done {
                pieces.push((text.len(), done, range.start - done, range.start - done));
                text.push_str(&file[done..range.start]);
            }
            pieces.push((text.len(), range.start, replacement.len(), range.len()));
            text.push_str(&replacement);
            done = range.end;
        }
        if done < file.len() {
            pieces.push((text.len(), done, file.len() - done, file.len() - done));
            text.push_str(&file[done..]);
        }
        Some(Shown { text, pieces })
    }

    /// The offset in what is shown of offset `at` of the file: the same place in a run kept
    /// as it is, else the start of what replaced it (or its end, for an offset at its end).
    pub fn to_shown(&self, at: usize) -> usize {
        for &(shown, file, shown_len, file_len) in &self.pieces {
            if at < file + file_len || (at == file + file_len && shown_len == file_len) {
                return if at <= file {
                    shown
                } else if shown_len == file_len {
                    shown + (at - file)
                } else {
                    shown + shown_len
                };
            }
        }
        self.text.len()
    }

    /// The offset in the file of offset `at` of what is shown.
    pub fn to_file(&self, at: usize) -> usize {
        for &(shown, file, shown_len, file_len) in &self.pieces {
            if at < shown + shown_len || (at == shown + shown_len && shown_len == file_len) {
                return if at <= shown {
                    file
                } else if shown_len == file_len {
                    file + (at - shown)
                } else {
                    file + file_len
                };
            }
        }
        self.pieces
            .last()
            .map_or(0, |&(_, file, _, file_len)| file + file_len)
    }
}

/// Text for Markdown prose, a table cell or a heading (pull-request comments, drift issues),
/// inert whatever it holds: [`clean`], then
///
/// - code spans (`` `x` ``, found as CommonMark finds them) stay as written (nothing inside
///   one is Markdown, and GitHub mentions nothing in code), `|` escaped in them;
/// - elsewhere `\`, `[`, `]`, `*`, `_` (but between two letters or digits), `~`, `|` are
///   backslash-escaped (no link, image, footnote, emphasis, strike-through or cell break), `<`, `>`, `&` become entities (no
///   HTML tag, autolink or entity);
/// - an `@` (a mention, or an e-mail autolink), a `#` before a digit (an issue reference),
///   `://` and `www.` (autolinks) get a zero-width space entity (`&#8203;`) where GitHub's
///   link and mention filters would match, as Renovate and Dependabot do: the text reads the
///   same, and nothing links or notifies;
/// - line breaks never survive (they are escapes after [`clean`]).
pub fn markdown_inline(s: &str) -> String {
    let cleaned = clean(s);
    let chars: Vec<char> = cleaned.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(cleaned.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let open = run_at(i);
            // The closing run: the next run of exactly `open` backticks.
            let mut j = i + open;
            let mut close = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let run = run_at(j);
                    if run == open {
                        close = Some(j);
                        break;
                    }
                    j += run;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(j) => {
                    for &c in &chars[i..j + open] {
                        if c == '|' {
                            out.push_str("\\|");
                        } else {
                            out.push(c);
                        }
                    }
                    i = j + open;
                }
                None => {
                    // No span: the backticks are text.
                    for _ in 0..open {
                        out.push_str("\\`");
                    }
                    i += open;
                }
            }
            continue;
        }
        markdown_char(&chars, i, &mut out);
        i += 1;
    }
    out
}

/// One character of Markdown prose outside code spans.
fn markdown_char(chars: &[char], i: usize, out: &mut String) {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    let intraword =
        i > 0 && chars[i - 1].is_alphanumeric() && next.is_some_and(char::is_alphanumeric);
    match c {
        // `_` between two letters or digits opens and closes nothing (`wrap_up_time_limit`).
        '_' if intraword => out.push(c),
        '\\' | '[' | ']' | '*' | '_' | '~' | '|' => {
            out.push('\\');
            out.push(c);
        }
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        c => {
            out.push(c);
            if breaks_a_link(chars, i, next) {
                out.push_str(ZWSP);
            }
        }
    }
}

/// A zero-width space as an HTML entity: GitHub renders it as nothing, and its mention,
/// reference and autolink filters no longer match across it.
const ZWSP: &str = "&#8203;";

/// True when a zero-width space belongs after `chars[i]`: after `@` (mentions, e-mail
/// autolinks), after a `#` that a digit follows (issue references), after the `:` of `://`
/// and the `w` of `www.` (autolinks).
fn breaks_a_link(chars: &[char], i: usize, next: Option<char>) -> bool {
    match chars[i] {
        '@' => true,
        '#' => next.is_some_and(|c| c.is_ascii_digit()),
        ':' => chars.get(i + 1..i + 3) == Some(&['/', '/'][..]),
        'w' | 'W' => {
            chars
                .get(i..i + 4)
                .is_some_and(|w| w[..3].iter().all(|c| c.eq_ignore_ascii_case(&'w')) && w[3] == '.')
                && (i == 0 || !chars[i - 1].is_alphanumeric())
        }
        _ => false,
    }
}

/// A name or address as a Markdown code span (table cells, lists): [`clean`], on one line,
/// its backticks shown as `'` so that it cannot close the span, `|` escaped (GitHub honours
/// `\|` in a code span in a table cell).
pub fn markdown_code(s: &str) -> String {
    let inside: String = clean(s)
        .chars()
        .map(|c| match c {
            '`' => "'".to_owned(),
            '|' => "\\|".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("`{inside}`")
}

/// Text inside HTML in a Markdown document (`<summary>`, `<b>`), where Markdown is not parsed
/// but GitHub still looks for mentions, references and links: [`html`], with the zero-width
/// spaces of [`markdown_inline`].
pub fn markdown_html(s: &str) -> String {
    let cleaned = clean(s);
    let chars: Vec<char> = cleaned.chars().collect();
    let mut out = String::with_capacity(cleaned.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        push_html(&mut out, c);
        if breaks_a_link(&chars, i, chars.get(i + 1).copied()) {
            out.push_str(ZWSP);
        }
    }
    out
}

/// Text for HTML or SVG (XML), in an element or a quoted attribute value: [`clean`] (which
/// also removes every character XML forbids, U+FFFE included, as an escape), then `&`, `<`,
/// `>`, `"` and `'` as entities. Bidirectional controls are shown as escapes, not entities:
/// an entity would be the control itself.
pub fn html(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        push_html(&mut out, c);
    }
    out
}

fn push_html(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Text inside a double-quoted Graphviz DOT string: [`clean`], then backslashes (DOT gives
/// `\n`, `\l`, `\N`... meanings) and quotes escaped.
pub fn dot(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a quoted Mermaid label (`id["..."]`), also inside a Markdown code fence:
/// [`clean`], then quotes, `#`, `%`, angle brackets, ampersands and backticks as Mermaid's
/// entity codes (`#quot;`, `#35;`, `#37;`...). With no `%` left, no `%%{init}%%`
/// directive (which Mermaid finds anywhere in the text, and which could re-theme the diagram
/// or hide the styling of removed nodes) and no `%%` comment can form; with no backtick, no
/// Markdown string and no closing fence.
pub fn mermaid(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

/// A serialized JSON document with every hazard that JSON leaves raw (DEL, the C1 controls,
/// bidirectional controls, separators, invisible characters) written as a `\uXXXX` escape.
/// JSON's own syntax is ASCII and `serde_json` already escapes the C0 controls, so every such
/// character is inside a string, where the escape means the same character: the document
/// parses to the same value. Credentials are not touched here: values that may hold them
/// are [`crate::sensitive::Sensitive`], which serializes redacted.
pub fn json(document: String) -> String {
    // Line feeds, tabs and carriage returns outside strings are JSON's whitespace (a pretty
    // document's lines); inside strings `serde_json` has escaped them.
    let escaped = |c: char| is_hazard(c) && !matches!(c, '\n' | '\t' | '\r');
    if !document.chars().any(escaped) {
        return document;
    }
    let mut out = String::with_capacity(document.len() + 16);
    for c in document.chars() {
        if escaped(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The message of a GitHub Actions workflow command (`::error file=…::MESSAGE`): `%`, CR and
/// LF as `%25`, `%0D`, `%0A` (what the runner decodes), every other hazard as an escape, and
/// credentials redacted. A line break stays a line break in the annotation, and never ends
/// the command.
pub fn github_command_value(s: &str) -> String {
    github_command(s, false)
}

/// A property of a GitHub Actions workflow command (`file=`, `title=`): as
/// [`github_command_value`], and `:` and `,` as `%3A` and `%2C`, so that a value can neither
/// end the properties nor start another one.
pub fn github_command_property(s: &str) -> String {
    github_command(s, true)
}

fn github_command(s: &str, property: bool) -> String {
    let redacted = sensitive::redact(s);
    let mut out = String::with_capacity(redacted.len() + 8);
    let lines: Vec<&str> = redacted.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("%0A");
        }
        for piece in line.split_inclusive('\r') {
            let (body, cr) = match piece.strip_suffix('\r') {
                Some(body) => (body, true),
                None => (piece, false),
            };
            for c in visible(body).chars() {
                match c {
                    '%' => out.push_str("%25"),
                    ':' if property => out.push_str("%3A"),
                    ',' if property => out.push_str("%2C"),
                    c => out.push(c),
                }
            }
            if cr {
                out.push_str("%0D");
            }
        }
    }
    out
}

/// Hostile text of every class the sinks defend against, for their tests (in every crate): a
/// colour sequence faking a green "valid", a carriage return, bidirectional controls, a
/// workflow command (also padded so that a wrapped line starts with it), a mention, an issue
/// reference, emphasis, a Mermaid directive, HTML that closes a script or a CDATA section,
/// a noncharacter and invisible characters. (Credentials are values, not names: see
/// `crate::sensitive`.)
pub const HOSTILE_SAMPLES: &[&str] = &[
    "\x1b[32mvalid\x1b[0m",
    "ok\r::warning::carriage",
    "admin\u{202E}txt.exe",
    "::warning title=x::forged",
    "padded                                                                                          ::warning::wrapped",
    "@octocat @org/team",
    "#1",
    "**bold** _it_ ~~gone~~",
    "%%{init: {\"theme\":\"dark\"}}%%",
    "</script><script>alert(1)</script>",
    "]]><x/>",
    "non\u{FFFE}char",
    "zero\u{200B}width tag\u{E0041}",
];

/// Why `output`, as written to a terminal or a CI log, is not safe; `None` when it is. Unsafe
/// is a hazard other than the line feed, the tab and colour sequences (`ESC [ digits ; m`), or
/// a line that starts a CI workflow command. The tests of every sink scan with it.
pub fn terminal_problem(output: &str) -> Option<String> {
    for (n, line) in output.split('\n').enumerate() {
        if workflow_command_at(line).is_some() {
            return Some(format!(
                "line {} starts a workflow command: {line:?}",
                n + 1
            ));
        }
        let mut plain = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            match colour_sequence(rest) {
                Some(len) => rest = &rest[len..],
                None => {
                    plain.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        let chars: Vec<char> = plain.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let stray = is_stray_joiner(
                i.checked_sub(1).map(|j| chars[j]),
                c,
                chars.get(i + 1).copied(),
            );
            if c != '\t' && (is_hazard(c) || stray) {
                return Some(format!("line {} holds {c:?}: {line:?}", n + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class of hostile text, one fixture each.
    const HOSTILE: &[&str] = &[
        "\x1b[32mvalid\x1b[0m",
        "a\rb",
        "a\u{202E}evil",
        "a\u{2066}b\u{2069}",
        "x\u{061C}y",
        "line\u{2028}two",
        "zero\u{200B}width",
        "tag\u{E0041}\u{E007F}",
        "hangul\u{3164}filler",
        "braille\u{2800}blank",
        "non\u{FFFE}char",
        "del\u{7F}and\u{9B}c1",
        "sa\u{200D}les",
    ];

    fn has_hazard(s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        (0..chars.len()).any(|i| {
            is_hazard(chars[i])
                || is_stray_joiner(
                    i.checked_sub(1).map(|j| chars[j]),
                    chars[i],
                    chars.get(i + 1).copied(),
                )
        })
    }

    #[test]
    fn every_text_sink_leaves_no_hazard() {
        for s in HOSTILE {
            for (sink, out) in [
                ("visible", visible(s).into_owned()),
                ("terminal", terminal(s).into_owned()),
                ("markdown_inline", markdown_inline(s)),
                ("markdown_code", markdown_code(s)),
                ("markdown_html", markdown_html(s)),
                ("html", html(s)),
                ("dot", dot(s)),
                ("mermaid", mermaid(s)),
                ("github value", github_command_value(s)),
                ("github property", github_command_property(s)),
            ] {
                assert!(!has_hazard(&out), "{sink} left a hazard in {out:?}");
            }
        }
    }

    #[test]
    fn hazards_are_shown_as_escapes() {
        insta::assert_snapshot!(
            HOSTILE
                .iter()
                .map(|s| visible(s).into_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            @r"
        \u{1b}[32mvalid\u{1b}[0m
        a\rb
        a\u{202e}evil
        a\u{2066}b\u{2069}
        x\u{61c}y
        line\u{2028}two
        zero\u{200b}width
        tag\u{e0041}\u{e007f}
        hangul\u{3164}filler
        braille\u{2800}blank
        non\u{fffe}char
        del\u{7f}and\u{9b}c1
        sa\u{200d}les
        "
        );
    }

    #[test]
    fn clear_text_passes_unchanged_and_unallocated() {
        for s in [
            "Sales (EN) – hotline 1",
            "Trung tâm chăm sóc khách hàng",
            "👨\u{200D}👩\u{200D}👧 family",
            "❤\u{FE0F} support",
            "می\u{200C}خواهم",
            "a\\b",
        ] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(terminal(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn a_joiner_between_ascii_letters_is_shown() {
        assert_eq!(visible("sa\u{200D}les"), "sa\\u{200d}les");
        assert_eq!(visible("\u{200C}x"), "\\u{200c}x");
        assert_eq!(visible("x\u{200C}"), "x\\u{200c}");
    }

    #[test]
    fn a_whole_output_keeps_its_colours_and_lines_but_nothing_else() {
        let coloured = Terminal {
            colours: true,
            reveal: false,
        };
        let ours = "\x1b[1;32mApply complete!\x1b[0m 1 added\n\tindented\n";
        assert!(matches!(terminal_output(ours, coloured), Cow::Borrowed(_)));
        // A multi-byte character right after a colour, on a line with a hazard to escape.
        assert_eq!(
            terminal_output("\x1b[32m✓\x1b[0m é\u{202e}\n", coloured),
            "\x1b[32m✓\x1b[0m é\\u{202e}\n"
        );
        // Without colours, no colour sequence is switchboard's.
        assert_eq!(
            terminal_output("\x1b[32mvalid\x1b[0m\n", Terminal::default()),
            "\\u{1b}[32mvalid\\u{1b}[0m\n"
        );
        // Credentials are redacted, unless revealed.
        let url = "event_url = \"https://u:p@x.example/?token=abc\"\n";
        let redacted = terminal_output(url, Terminal::default());
        assert!(
            !redacted.contains("u:p") && !redacted.contains("=abc"),
            "{redacted}"
        );
        let revealed = Terminal {
            colours: false,
            reveal: true,
        };
        assert_eq!(terminal_output(url, revealed), url);
        let forged = "name a\rb \x1b]8;;http://evil\x1b\\x\x1b[2J \u{202E}x\n";
        assert_eq!(
            terminal_output(forged, coloured),
            "name a\\rb \\u{1b}]8;;http://evil\\u{1b}\\x\\u{1b}[2J \\u{202e}x\n"
        );
    }

    #[test]
    fn no_output_line_starts_a_workflow_command() {
        let text = "ok\n::warning::pwned\n      ::error title=x::y\n\x1b[2m  ::notice::z\x1b[0m\n\
                    ##[warning]azure\n##vso[task.setvariable variable=x]1\n\u{A0}::add-mask::x\n\
                    ## heading stays\na :: b stays\n";
        let out = terminal_output(
            text,
            Terminal {
                colours: true,
                reveal: false,
            },
        );
        insta::assert_snapshot!(out.replace('\x1b', "␛").replace('\u{A0}', "⍽"), @r"
        ok
        \::warning::pwned
              \::error title=x::y
        ␛[2m  \::notice::z␛[0m
        \##[warning]azure
        \##vso[task.setvariable variable=x]1
        ⍽\::add-mask::x
        ## heading stays
        a :: b stays
        ");
        for line in out.lines() {
            let trimmed = line
                .trim_start_matches(|c: char| c.is_whitespace())
                .trim_start_matches("\x1b[2m")
                .trim_start();
            assert!(!trimmed.starts_with("::"), "{line:?}");
            assert!(!trimmed.starts_with("##["), "{line:?}");
        }
    }

    #[test]
    fn a_file_is_shown_with_its_lines_and_offsets_kept() {
        let file =
            "a: 1\r\nb: \"x\u{202E}y\"\nc: https://u:p@h.example/?token=abc # c\n\x1b[2Jd: 2\n";
        let shown = Shown::of(file).unwrap();
        insta::assert_snapshot!(shown.text, @r#"
        a: 1
        b: "x\u{202e}y"
        c: https://(sensitive:fd8f3144)@h.example/?token=(sensitive:ba7816bf) # c
        \u{1b}[2Jd: 2
        "#);
        assert!(shown.text.contains("a: 1\r\n"), "a CRLF ending stays");
        // Offsets before, inside and after each change map to the same places.
        for needle in ["b:", "y\"", "# c", "d: 2"] {
            let at = file.find(needle).unwrap();
            let there = shown.to_shown(at);
            assert_eq!(&shown.text[there..there + needle.len()], needle, "{needle}");
            assert_eq!(shown.to_file(there), at, "{needle}");
        }
        assert_eq!(shown.to_shown(file.len()), shown.text.len());
        assert_eq!(shown.to_file(shown.text.len()), file.len());
        assert!(Shown::of("clean: yes\r\n\tindented\n").is_none());
    }

    #[test]
    fn markdown_prose_is_inert() {
        let s = "@octocat and @org/team see #1, **bold** _it_ ~~gone~~ [x](https://evil.example) \
                 ![img](https://evil.example/p.png) <img src=x> &#64; www.evil.example a|b \\ `code @x` `open";
        insta::assert_snapshot!(markdown_inline(s), @r"@&#8203;octocat and @&#8203;org/team see #&#8203;1, \*\*bold\*\* \_it\_ \~\~gone\~\~ \[x\](https:&#8203;//evil.example) !\[img\](https:&#8203;//evil.example/p.png) &lt;img src=x&gt; &amp;#&#8203;64; w&#8203;ww.evil.example a\|b \\ `code @x` \`open");
    }

    #[test]
    fn markdown_code_spans_cannot_close() {
        assert_eq!(markdown_code("a`b|c\nd"), "`a'b\\|c\\nd`");
    }

    #[test]
    fn markdown_html_breaks_mentions_and_tags() {
        assert_eq!(
            markdown_html("<b>@team</b> #12 \"q\""),
            "&lt;b&gt;@&#8203;team&lt;/b&gt; #&#8203;12 &quot;q&quot;"
        );
    }

    #[test]
    fn mermaid_labels_hold_no_directive_comment_or_quote() {
        let s =
            "%%{init: {'theme':'dark', 'themeCSS': '.removed {display:none}'}}%% \"x\" #1 <b> `y`";
        let out = mermaid(s);
        assert!(!out.contains("%%"), "{out}");
        assert!(!out.contains(['"', '`', '<', '>', '%']), "{out}");
        insta::assert_snapshot!(out, @"#37;#37;{init: {'theme':'dark', 'themeCSS': '.removed {display:none}'}}#37;#37; #quot;x#quot; #35;1 #lt;b#gt; #96;y#96;");
    }

    #[test]
    fn html_and_svg_text_is_escaped_and_well_formed() {
        let out = html("</script><script>alert(1)</script> ]]> \u{FFFE} a\u{202E}b 'q' \"q\" &");
        insta::assert_snapshot!(out, @"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; \\u{fffe} a\\u{202e}b &#39;q&#39; &quot;q&quot; &amp;");
    }

    #[test]
    fn dot_strings_cannot_close() {
        assert_eq!(dot("a\"b\\n\nc"), "a\\\"b\\\\n\\\\nc");
    }

    #[test]
    fn json_documents_escape_what_serde_json_leaves_raw() {
        let doc = serde_json::to_string(&serde_json::json!({
            "name": "a\u{7F}\u{9B}\u{202E}\u{E0041}b\x1b"
        }))
        .unwrap();
        let out = json(doc);
        assert!(!out.chars().any(is_hazard), "{out}");
        assert_eq!(out, r#"{"name":"a\u007f\u009b\u202e\udb40\udc41b\u001b"}"#);
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["name"], "a\u{7F}\u{9B}\u{202E}\u{E0041}b\x1b");
        // A pretty document keeps its lines.
        let value = serde_json::json!({ "a": ["x\u{2028}\n", 1] });
        let pretty = json(serde_json::to_string_pretty(&value).unwrap());
        assert!(pretty.contains("\n  \"a\": [\n"), "{pretty}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            value
        );
    }

    #[test]
    fn github_commands_escape_their_syntax() {
        assert_eq!(
            github_command_value("50% done\r\n::warning::x\x1b[0m"),
            "50%25 done%0D%0A::warning::x\\u{1b}[0m"
        );
        assert_eq!(
            github_command_property("a.yaml,line=1::x%"),
            "a.yaml%2Cline=1%3A%3Ax%25"
        );
    }
}
