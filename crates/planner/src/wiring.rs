//! The PCC wiring: whether the Stringee project's answer and event URLs, and each managed
//! number's, are PCC's own ([`spec::model::PCC_PROJECT_ANSWER_URL`], ...), without which calls
//! never reach PCC. They live in the account API (another host, another key), not in the PCC
//! project, so they are not objects of the model nor steps of the DAG: a plan carries them
//! apart ([`crate::Plan::wiring`]), as corrections the binary makes through the account API
//! once the steps are done. Pure, like the rest of the planner: the binary reads the account
//! ([`LiveWiring`]) and [`plan_wiring`] compares.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use spec::model::{
    Model, PCC_NUMBER_ANSWER_URL, PCC_NUMBER_EVENT_URL, PCC_PROJECT_ANSWER_URL,
    PCC_PROJECT_EVENT_URL,
};
use spec::sensitive::Sensitive;
use spec::{Address, Policy};

/// A project's or a number's two URLs as the account holds them (`None`: not set). Values
/// read live may hold credentials: they are [`Sensitive`], shown and saved redacted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveUrls {
    /// The answer URL.
    pub answer_url: Option<Sensitive>,
    /// The event URL (the project's `callback_url`).
    pub event_url: Option<Sensitive>,
}

/// What the account holds of the project's wiring, as the binary read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveWiring {
    /// The project's id in the account.
    pub project_id: String,
    /// The project's URLs.
    pub project: LiveUrls,
    /// The project's numbers in the account, by digits: the account number's id and its URLs.
    pub numbers: BTreeMap<String, (String, LiveUrls)>,
}

/// What is wired: the project, or one of its numbers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wired {
    /// The Stringee project.
    Project,
    /// A number, by digits.
    Number(String),
}

impl fmt::Display for Wired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wired::Project => f.write_str("the project"),
            Wired::Number(digits) => write!(f, "number {digits}"),
        }
    }
}

/// One URL that is not PCC's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlChange {
    /// The field as the account API names it (`answer_url`, `event_url`, `callback_url`).
    pub field: String,
    /// What it is now (`None`: unset); redacted when it holds a credential.
    pub from: Option<Sensitive>,
    /// PCC's own URL.
    pub to: String,
}

/// A correction: one `PUT` of the account API, setting both URLs of the project or a number
/// to PCC's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewire {
    /// What is corrected.
    pub wired: Wired,
    /// Its id in the account (the project's, or the account number's: not PCC's `NU_…`).
    pub id: String,
    /// The URLs that differ from PCC's.
    pub changes: Vec<UrlChange>,
}

/// The wiring part of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wiring {
    /// The project's id in the account.
    pub project_id: String,
    /// The corrections, the project first, then numbers by digits.
    pub rewires: Vec<Rewire>,
    /// Numbers the spec manages that the account does not list in the project: their wiring
    /// could not be checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unowned: Vec<String>,
}

impl Wiring {
    /// True when nothing needs correcting.
    pub fn is_empty(&self) -> bool {
        self.rewires.is_empty()
    }
}

/// The corrections that make the project's wiring and that of every number `desired` manages
/// (and `policy` does not ignore) PCC's own. Numbers the account does not list are
/// [`Wiring::unowned`], never guessed at.
pub fn plan_wiring(desired: &Model, live: &LiveWiring, policy: &Policy) -> Wiring {
    let mut wiring = Wiring {
        project_id: live.project_id.clone(),
        ..Wiring::default()
    };
    let project = [
        (
            "answer_url",
            &live.project.answer_url,
            PCC_PROJECT_ANSWER_URL,
        ),
        (
            "callback_url",
            &live.project.event_url,
            PCC_PROJECT_EVENT_URL,
        ),
    ];
    if let Some(changes) = differing(project) {
        wiring.rewires.push(Rewire {
            wired: Wired::Project,
            id: live.project_id.clone(),
            changes,
        });
    }
    for digits in desired.numbers.keys() {
        if policy.is_ignored(&Address::Number(digits.clone())) {
            continue;
        }
        let Some((id, urls)) = live.numbers.get(digits) else {
            wiring.unowned.push(digits.clone());
            continue;
        };
        let number = [
            ("answer_url", &urls.answer_url, PCC_NUMBER_ANSWER_URL),
            ("event_url", &urls.event_url, PCC_NUMBER_EVENT_URL),
        ];
        if let Some(changes) = differing(number) {
            wiring.rewires.push(Rewire {
                wired: Wired::Number(digits.clone()),
                id: id.clone(),
                changes,
            });
        }
    }
    wiring
}

fn differing(fields: [(&str, &Option<Sensitive>, &str); 2]) -> Option<Vec<UrlChange>> {
    let changes: Vec<UrlChange> = fields
        .into_iter()
        .filter(|(_, now, want)| now.as_ref().and_then(Sensitive::expose) != Some(*want))
        .map(|(field, now, want)| UrlChange {
            field: field.to_owned(),
            from: now.clone(),
            to: want.to_owned(),
        })
        .collect();
    (!changes.is_empty()).then_some(changes)
}

/// What changed in the account since `wiring` was planned from it, one sentence each: another
/// project, an object gone, a URL no longer the value planned from (corrected meanwhile, or
/// changed again). Empty: the corrections apply as planned.
pub fn stale_wiring(wiring: &Wiring, live: &LiveWiring) -> Vec<String> {
    if wiring.project_id != live.project_id {
        return vec![format!(
            "the API key is now for project {}, the plan was made for project {}",
            live.project_id, wiring.project_id
        )];
    }
    let mut stale = Vec::new();
    for rewire in &wiring.rewires {
        let urls = match &rewire.wired {
            // The id a correction is sent to is the plan's: it must be the project checked,
            // or a plan could rewire a project of the account other than its own.
            Wired::Project if rewire.id != live.project_id => {
                stale.push(format!(
                    "{}: the plan corrects project {}, not project {}",
                    rewire.wired, rewire.id, live.project_id
                ));
                continue;
            }
            Wired::Project => &live.project,
            Wired::Number(digits) => match live.numbers.get(digits) {
                Some((id, urls)) if *id == rewire.id => urls,
                _ => {
                    stale.push(format!(
                        "{}: no longer the account's number {} in the project",
                        rewire.wired, rewire.id
                    ));
                    continue;
                }
            },
        };
        for change in &rewire.changes {
            let now = match change.field.as_str() {
                "answer_url" => &urls.answer_url,
                _ => &urls.event_url,
            };
            if *now != change.from {
                let shown = |v: &Option<Sensitive>| {
                    v.as_ref()
                        .map_or_else(|| "unset".to_owned(), ToString::to_string)
                };
                stale.push(format!(
                    "wiring of {}: {} is now {}, planned from {}",
                    rewire.wired,
                    change.field,
                    shown(now),
                    shown(&change.from)
                ));
            }
        }
    }
    stale
}

impl fmt::Display for UrlChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(from) => write!(f, "{} is {from}, should be {}", self.field, self.to),
            None => write!(f, "{} is unset, should be {}", self.field, self.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(answer: Option<&str>, event: Option<&str>) -> LiveUrls {
        LiveUrls {
            answer_url: answer.map(Sensitive::new),
            event_url: event.map(Sensitive::new),
        }
    }

    fn model(numbers: &[&str]) -> Model {
        let mut model = Model::default();
        for n in numbers {
            model.numbers.insert(
                (*n).to_owned(),
                spec::model::Number {
                    nickname: None,
                    route: None,
                    allow_outbound_calls: false,
                    record_outbound_calls: false,
                    all_groups_can_call_out: None,
                },
            );
        }
        model
    }

    fn wired_project() -> LiveUrls {
        urls(Some(PCC_PROJECT_ANSWER_URL), Some(PCC_PROJECT_EVENT_URL))
    }

    #[test]
    fn pcc_wiring_everywhere_plans_nothing() {
        let live = LiveWiring {
            project_id: "24".into(),
            project: wired_project(),
            numbers: BTreeMap::from([(
                "842473082686".to_owned(),
                (
                    "487".to_owned(),
                    urls(Some(PCC_NUMBER_ANSWER_URL), Some(PCC_NUMBER_EVENT_URL)),
                ),
            )]),
        };
        let wiring = plan_wiring(&model(&["842473082686"]), &live, &Policy::default());
        assert!(wiring.is_empty(), "{wiring:?}");
        assert!(wiring.unowned.is_empty());
    }

    #[test]
    fn each_url_that_is_not_pccs_is_corrected_and_unowned_numbers_are_named() {
        let live = LiveWiring {
            project_id: "24".into(),
            project: urls(Some(PCC_PROJECT_ANSWER_URL), None),
            numbers: BTreeMap::from([
                (
                    "841".to_owned(),
                    (
                        "1".to_owned(),
                        urls(
                            Some("https://u:hunter2@old.example.com/answer?token=tok3n-s3cret"),
                            Some(PCC_NUMBER_EVENT_URL),
                        ),
                    ),
                ),
                // Not in the spec: never touched.
                ("849".to_owned(), ("9".to_owned(), urls(None, None))),
            ]),
        };
        let wiring = plan_wiring(&model(&["841", "842"]), &live, &Policy::default());
        assert_eq!(wiring.unowned, vec!["842".to_owned()]);
        let shown: Vec<String> = wiring
            .rewires
            .iter()
            .flat_map(|r| {
                r.changes
                    .iter()
                    .map(move |c| format!("{} ({}): {c}", r.wired, r.id))
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                "the project (24): callback_url is unset, should be http://v2.stringee.com:8282/project_event_url",
                "number 841 (1): answer_url is https://(sensitive:6c3a6685)@old.example.com/answer?token=(sensitive:f1579d64), should be http://v2.stringee.com:8282/answer_url",
            ]
        );
        let saved = serde_json::to_string(&wiring).unwrap();
        assert!(
            !saved.contains("hunter2") && !saved.contains("tok3n-s3cret"),
            "{saved}"
        );
        let back: Wiring = serde_json::from_str(&saved).unwrap();
        assert_eq!(back, wiring);
    }

    #[test]
    fn a_correction_sent_to_another_project_or_number_is_stale() {
        let live = LiveWiring {
            project_id: "24".into(),
            project: urls(None, None),
            numbers: BTreeMap::from([("841".to_owned(), ("1".to_owned(), urls(None, None)))]),
        };
        let wiring = plan_wiring(&model(&["841"]), &live, &Policy::default());
        assert_eq!(stale_wiring(&wiring, &live), Vec::<String>::new());
        // The project's correction names another project of the account (the plan's
        // `project_id` still the live one), or a number's another account number.
        let mut other = wiring.clone();
        other.rewires[0].id = "25".into();
        other.rewires[1].id = "2".into();
        assert_eq!(
            stale_wiring(&other, &live),
            vec![
                "the project: the plan corrects project 25, not project 24",
                "number 841: no longer the account's number 2 in the project",
            ]
        );
    }
}
