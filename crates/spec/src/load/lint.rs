//! The `lint:` section: each rule's level (`rules:`) and the problems accepted on purpose
//! (`allow:`), checked against [`RULES`](crate::diagnostic::RULES), then applied to what the
//! load found. A rule that is not tunable (its problem makes the spec unappliable or wrong
//! when calls arrive) can be neither lowered nor allowed: saying so is an error, `fixed-rule`.

use std::collections::BTreeMap;

use crate::address::Pattern;
use crate::diagnostic::{self, Allowed, Diagnostic, Label, Rule, Severity, code};
use crate::load::checks::address_pattern;
use crate::load::merge::{Project, collect};
use crate::load::{At, Cx, backticked, did_you_mean};
use crate::raw::RawLevel;

/// `lint:`, checked.
#[derive(Default)]
pub(super) struct Lint {
    /// Rule → its level and where it is set.
    levels: BTreeMap<&'static str, (RawLevel, Label)>,
    allows: Vec<Allow>,
}

/// One `allow:` entry, checked.
struct Allow {
    rule: &'static str,
    pattern: Pattern,
    reason: String,
    at: At,
}

/// Checks `lint:`: every rule named exists and is tunable, every allow has a pattern and a
/// reason.
pub(super) fn lower_lint(cx: &mut Cx<'_>, project: &Project<'_>) -> Lint {
    let mut lint = Lint::default();
    let Some((file, raw)) = project.lint else {
        return lint;
    };
    let rules = collect(
        cx,
        "lint rule",
        std::iter::once((file, raw.value.rules.as_ref())),
    );
    for (name, def) in &rules {
        let level = def.value.value;
        let Some(rule) = tunable(
            cx,
            name,
            def.key_at(),
            "lint.rules",
            level != RawLevel::Error,
        ) else {
            continue;
        };
        let label = cx.label(def.key_at(), "set here");
        lint.levels.insert(rule.code, (level, label));
    }
    for entry in raw.value.allow.iter().flatten() {
        let allow = &entry.value;
        let rule = tunable(
            cx,
            &allow.rule.value,
            At::of(file, &allow.rule),
            "lint.allow",
            true,
        );
        let pattern = address_pattern(cx, file, &allow.address, "`lint.allow` address");
        if allow.reason.value.trim().is_empty() {
            cx.error(
                code::EMPTY_VALUE,
                At::of(file, &allow.reason),
                "`lint.allow` reason is empty",
                "say why",
            )
            .help = Some(
                "the reason is shown wherever the problem is reported as allowed: say why it is \
                 fine"
                    .to_owned(),
            );
            continue;
        }
        if let (Some(rule), Some(pattern)) = (rule, pattern) {
            lint.allows.push(Allow {
                rule: rule.code,
                pattern,
                reason: allow.reason.value.clone(),
                at: At::of(file, entry),
            });
        }
    }
    lint
}

/// The rule `name` when `lint:` may change it; reports an unknown or a fixed rule. `lowers`:
/// the entry would lower or hide its problems (setting a fixed rule to `error` says nothing,
/// and is refused all the same, so that a reader never wonders what it does).
fn tunable(
    cx: &mut Cx<'_>,
    name: &str,
    at: At,
    section: &str,
    lowers: bool,
) -> Option<&'static Rule> {
    let Some(rule) = diagnostic::rule(name) else {
        let tunable: Vec<&str> = diagnostic::RULES
            .iter()
            .filter(|r| r.tunable)
            .map(|r| r.code)
            .collect();
        let help = match did_you_mean(name, diagnostic::RULES.iter().map(|r| r.code)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "the rules `lint:` may set are {} (docs/codes.md)",
                backticked(&tunable)
            ),
        };
        cx.error(
            code::UNKNOWN_RULE,
            at,
            format!("`{section}` names `{name}`, which is no rule"),
            "no such rule",
        )
        .help = Some(help);
        return None;
    };
    if rule.tunable {
        return Some(rule);
    }
    let what = if lowers {
        "cannot be lowered or allowed"
    } else {
        "is always an error"
    };
    cx.error(
        code::FIXED_RULE,
        at,
        format!(
            "`{section}`: rule `{name}` {what}: its problems make the spec unappliable or wrong \
             when calls arrive"
        ),
        "a fixed rule",
    )
    .help = Some(format!(
        "fix the problem it reports instead, and remove this entry (docs/codes.md#{name})"
    ));
    None
}

/// Applies `lint` to `diagnostics` (the top level, after folding): a tunable rule's warnings
/// take the level `lint.rules` gives (`off` drops them), then each one an allow matches moves
/// to the answer, marked with that allow. An allow that matched nothing is a warning
/// (`unused-allow`, itself subject to `lint.rules`). Errors of tunable rules that are errors
/// by their nature (`queue-without-agents` where calls are sent) are left as they are.
pub(super) fn apply(
    cx: &mut Cx<'_>,
    lint: &Lint,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut used = vec![false; lint.allows.len()];
    let mut allowed = Vec::new();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for mut diagnostic in std::mem::take(diagnostics) {
        let tunable = diagnostic::rule(diagnostic.code).is_some_and(|r| r.tunable);
        if !tunable || diagnostic.severity != Severity::Warning {
            kept.push(diagnostic);
            continue;
        }
        if let Some((level, label)) = lint.levels.get(diagnostic.code) {
            match level {
                RawLevel::Off => continue,
                RawLevel::Error => diagnostic.severity = Severity::Error,
                RawLevel::Warning => {}
            }
            diagnostic.set_by = Some(label.clone());
        }
        let matching = diagnostic.address.as_ref().and_then(|address| {
            lint.allows
                .iter()
                .position(|allow| allow.rule == diagnostic.code && allow.pattern.matches(address))
        });
        match matching {
            Some(index) => {
                used[index] = true;
                let allow = &lint.allows[index];
                diagnostic.allowed_by = Some(Allowed {
                    rule: allow.rule,
                    address: allow.pattern.to_string(),
                    reason: allow.reason.clone(),
                    at: cx.label(allow.at, "allowed here"),
                });
                allowed.push(diagnostic);
            }
            None => kept.push(diagnostic),
        }
    }
    for (allow, used) in lint.allows.iter().zip(used) {
        if used {
            continue;
        }
        let off = matches!(lint.levels.get(allow.rule), Some((RawLevel::Off, _)));
        let why = if off {
            format!(" (rule `{}` is off)", allow.rule)
        } else {
            String::new()
        };
        cx.warning(
            code::UNUSED_ALLOW,
            allow.at,
            format!(
                "`lint.allow` of `{}` for `{}` matches no problem{why}",
                allow.rule, allow.pattern
            ),
            "matches nothing",
        )
        .help = Some(
            "remove the entry (the problem it allowed is gone), or correct its rule or address"
                .to_owned(),
        );
    }
    // The unused-allow warnings take their level too.
    for mut diagnostic in std::mem::take(&mut cx.diagnostics) {
        if let Some((level, label)) = lint.levels.get(diagnostic.code) {
            match level {
                RawLevel::Off => continue,
                RawLevel::Error => diagnostic.severity = Severity::Error,
                RawLevel::Warning => {}
            }
            diagnostic.set_by = Some(label.clone());
        }
        kept.push(diagnostic);
    }
    *diagnostics = kept;
    allowed
}
