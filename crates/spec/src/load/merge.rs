//! Merging the files of a project into one: each name once, a name written twice reported
//! with both places.

use std::collections::BTreeMap;

use crate::diagnostic::code;
use crate::load::{At, Cx};
use crate::raw::{
    Map, RawAgent, RawAudio, RawGroup, RawNumber, RawQueue, RawSettings, RawSpec, RawTest, RawTree,
    Spanned,
};

/// A named definition: where its name is written and its value.
pub(super) struct Def<'r, T> {
    pub(super) file: usize,
    pub(super) key: &'r Spanned<String>,
    pub(super) value: &'r Spanned<T>,
}

impl<T> Def<'_, T> {
    pub(super) fn key_at(&self) -> At {
        At::of(self.file, self.key)
    }

    pub(super) fn at<U>(&self, spanned: &Spanned<U>) -> At {
        At::of(self.file, spanned)
    }
}

/// Every file's sections, merged, each name once.
pub(super) struct Project<'r> {
    pub(super) settings: Option<(usize, &'r Spanned<RawSettings>)>,
    pub(super) audio: BTreeMap<String, Def<'r, RawAudio>>,
    pub(super) agents: BTreeMap<String, Def<'r, RawAgent>>,
    pub(super) groups: BTreeMap<String, Def<'r, RawGroup>>,
    pub(super) queues: BTreeMap<String, Def<'r, RawQueue>>,
    pub(super) ivr: BTreeMap<String, Def<'r, RawTree>>,
    pub(super) numbers: BTreeMap<String, Def<'r, RawNumber>>,
    pub(super) blacklist: BTreeMap<String, Def<'r, crate::raw::RawBlacklisted>>,
    /// Some file has a `blacklist:` section (perhaps empty): the blacklist is managed.
    pub(super) blacklist_declared: bool,
    pub(super) tests: Vec<(usize, &'r Spanned<RawTest>)>,
    pub(super) ignore: Vec<(usize, &'r Spanned<String>)>,
    pub(super) safety: Option<(usize, &'r Spanned<crate::raw::RawSafety>)>,
    pub(super) moved: Vec<(usize, &'r Spanned<crate::raw::RawMoved>)>,
    pub(super) lint: Option<(usize, &'r Spanned<crate::raw::RawLint>)>,
    pub(super) project_id: Option<(usize, &'r Spanned<u64>)>,
}

pub(super) fn merge<'r>(cx: &mut Cx<'_>, raws: &'r [(usize, RawSpec)]) -> Project<'r> {
    let settings = single(
        cx,
        "settings",
        raws.iter().map(|(f, r)| (*f, r.settings.as_ref())),
    );
    let safety = single(
        cx,
        "safety",
        raws.iter().map(|(f, r)| (*f, r.safety.as_ref())),
    );
    let lint = single(cx, "lint", raws.iter().map(|(f, r)| (*f, r.lint.as_ref())));
    let project_id = single(
        cx,
        "project_id",
        raws.iter().map(|(f, r)| (*f, r.project_id.as_ref())),
    );
    Project {
        settings,
        audio: collect(
            cx,
            "audio",
            raws.iter().map(|(f, r)| (*f, r.audio.as_ref())),
        ),
        agents: collect(
            cx,
            "agent",
            raws.iter().map(|(f, r)| (*f, r.agents.as_ref())),
        ),
        groups: collect(
            cx,
            "group",
            raws.iter().map(|(f, r)| (*f, r.groups.as_ref())),
        ),
        queues: collect(
            cx,
            "queue",
            raws.iter().map(|(f, r)| (*f, r.queues.as_ref())),
        ),
        ivr: collect(
            cx,
            "ivr tree",
            raws.iter().map(|(f, r)| (*f, r.ivr.as_ref())),
        ),
        numbers: collect(
            cx,
            "number",
            raws.iter().map(|(f, r)| (*f, r.numbers.as_ref())),
        ),
        blacklist: collect(
            cx,
            "blacklisted number",
            raws.iter().map(|(f, r)| (*f, r.blacklist.as_ref())),
        ),
        blacklist_declared: raws.iter().any(|(_, r)| r.blacklist.is_some()),
        tests: raws
            .iter()
            .flat_map(|(f, r)| r.tests.iter().flatten().map(move |t| (*f, t)))
            .collect(),
        ignore: raws
            .iter()
            .flat_map(|(f, r)| r.ignore.iter().flatten().map(move |p| (*f, p)))
            .collect(),
        safety,
        moved: raws
            .iter()
            .flat_map(|(f, r)| r.moved.iter().flatten().map(move |m| (*f, m)))
            .collect(),
        lint,
        project_id,
    }
}

/// A section that may appear in one file only.
pub(super) fn single<'r, T>(
    cx: &mut Cx<'_>,
    section: &str,
    found: impl Iterator<Item = (usize, Option<&'r Spanned<T>>)>,
) -> Option<(usize, &'r Spanned<T>)> {
    let mut first: Option<(usize, &'r Spanned<T>)> = None;
    for (file, value) in found {
        let Some(value) = value else { continue };
        match first {
            None => first = Some((file, value)),
            Some((first_file, first_value)) => {
                let also = cx.label(At::of(first_file, first_value), "first defined here");
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    At::of(file, value),
                    format!("`{section}` is defined twice"),
                    "defined again here",
                );
                diagnostic.labels.push(also);
                diagnostic.help = Some(format!("keep one `{section}:` section in the project"));
            }
        }
    }
    first
}

/// Named definitions from every file; a name written twice (in one file or two) is an error
/// that points at both, and the first definition is kept.
pub(super) fn collect<'r, T, K: 'r>(
    cx: &mut Cx<'_>,
    kind: &str,
    maps: impl Iterator<Item = (usize, Option<&'r Map<Spanned<T>, K>>)>,
) -> BTreeMap<String, Def<'r, T>> {
    let mut defs: BTreeMap<String, Def<'r, T>> = BTreeMap::new();
    for (file, map) in maps {
        for (key, value) in map.iter().flat_map(|m| &m.entries) {
            if key.value.is_empty() {
                cx.error(
                    code::EMPTY_VALUE,
                    At::of(file, key),
                    format!("{kind} name is empty"),
                    "empty name",
                );
                continue;
            }
            if let Some((label, help)) = unclear_name(&key.value) {
                cx.error(
                    code::INVALID_NAME,
                    At::of(file, key),
                    format!("{kind} name {} {label}", quoted_name(&key.value)),
                    label,
                )
                .help = Some(help.to_owned());
                continue;
            }
            if let Some(first) = defs.get(&key.value) {
                let also = cx.label(first.key_at(), "first defined here");
                let same_file = first.file == file;
                let diagnostic = cx.error(
                    code::DUPLICATE_NAME,
                    At::of(file, key),
                    format!("{kind} `{}` is defined twice", key.value),
                    "defined again here",
                );
                diagnostic.labels.push(also);
                if !same_file {
                    diagnostic.help =
                        Some("names must be unique across all the files of a project".to_owned());
                }
                continue;
            }
            defs.insert(key.value.clone(), Def { file, key, value });
        }
    }
    defs
}

/// The longest name, in characters: a name is a key, and YAML allows a `key: value` key of
/// at most 1,024 characters (longer, the parser fails with words that do not say why).
pub const MAX_NAME_CHARS: usize = 1024;

/// A name quoted for a message (`crate::text::quoted`), cut to its first 60 characters when
/// longer.
pub(super) fn quoted_name(name: &str) -> String {
    match name.char_indices().nth(60) {
        Some((at, _)) => crate::text::quoted(&format!("{}…", &name[..at])),
        None => crate::text::quoted(name),
    }
}

/// What is wrong with a name that would read as another one in a plan or a pull request, or
/// not be read at all: spaces at its ends, control characters (line breaks, tabs, terminal
/// escapes), bidirectional controls, line and paragraph separators, invisible characters
/// (zero-width space, word joiner, soft hyphen, byte-order mark, tag characters, Hangul
/// fillers, the braille blank...), noncharacters, a zero-width joiner or non-joiner next to
/// an ASCII character or at an end, and spaces other than U+0020 (a no-break space); and a
/// name longer than [`MAX_NAME_CHARS`], which YAML cannot hold as a key. Every one is an error: a name is an identity, and no name needs one (`docs/spec.md` says
/// why for each). Emoji sequences and scripts that need the joiners (between two non-ASCII
/// characters) and variation selectors stay allowed. The classes are `spec::text`'s, the
/// ones every sink escapes.
///
/// Answers (what is wrong, what to do about it); `None` for a clear name. `export` uses it to
/// leave out live objects a spec could not name.
pub fn unclear_name(name: &str) -> Option<(&'static str, &'static str)> {
    use crate::text;
    if name.chars().nth(MAX_NAME_CHARS).is_some() {
        return Some((
            "is longer than 1,024 characters",
            "a name is a YAML key, and YAML keys are at most 1,024 characters: shorten it",
        ));
    }
    if name.trim() != name {
        return Some((
            "starts or ends with a space",
            "remove the spaces; a name is its identity, and a plan would show it as another name",
        ));
    }
    let chars: Vec<char> = name.chars().collect();
    let stray_joiner = (0..chars.len()).any(|i| {
        text::is_stray_joiner(
            i.checked_sub(1).map(|j| chars[j]),
            chars[i],
            chars.get(i + 1).copied(),
        )
    });
    let hides = |c: char| {
        text::is_control(c)
            || text::is_bidi(c)
            || text::is_line_separator(c)
            || text::is_invisible(c)
            || text::is_noncharacter(c)
    };
    if stray_joiner || chars.iter().any(|&c| hides(c)) {
        return Some((
            "holds a control or invisible character",
            "names are shown in plans and pull requests, where such a character hides or reorders \
             text; write the name without it",
        ));
    }
    chars.iter().any(|&c| text::is_odd_space(c)).then_some((
        "holds a space that is not a plain space",
        "a no-break or other typographic space reads as a plain one, so the name would look \
         like another; write a plain space",
    ))
}
