//! The plan as versioned JSON in Terraform's shape (`format_version`, `resource_changes[]`
//! with `change.actions`), for machines. The shape is documented in `docs/plan-format.md`.

use serde_json::{Map, Value, json};

use crate::object::Object;
use crate::plan::{ChangeAction, Plan};
use crate::render::{JSON_FORMAT_VERSION, backticks, partial_lines, sides};

/// `provider_name` of every change: where Terraform names a provider, switchboard names the
/// one API it speaks.
const PROVIDER_NAME: &str = "stringee/pcc";

/// The plan as pretty-printed JSON, ending in a newline.
pub fn json(plan: &Plan) -> String {
    let changes: Vec<Value> = plan
        .changes()
        .iter()
        .map(|c| {
            let reason = match (c.action, c.reason) {
                (ChangeAction::Replace, Some(r)) => json!({
                    "action_reason": "replace_because_cannot_update",
                    "reason": r.to_string(),
                }),
                (ChangeAction::Delete, _) => json!({
                    "action_reason": "delete_because_no_resource_config",
                    "reason": Value::Null,
                }),
                _ => json!({ "action_reason": Value::Null, "reason": Value::Null }),
            };
            let mut change = json!({
                "address": c.address.to_string(),
                // Terraform's: tools that read its plans find the fields they expect.
                "mode": "managed",
                "provider_name": PROVIDER_NAME,
                "type": c.address.kind().as_str(),
                "name": c.address.name(),
                "change": {
                    "actions": c.action.actions(),
                    "before": fields(c.before),
                    "after": fields(c.after),
                    "changed_fields": c.changed_fields,
                },
                "action_reason": reason["action_reason"],
                "reason": reason["reason"],
            });
            if let Some(from) = c.moved_from {
                // Terraform's name for the address before a `moved` block.
                change["previous_address"] = from.to_string().into();
                let (before, after) = sides(c);
                change["change"]["before"] = before.into();
                change["change"]["after"] = after.into();
            }
            change
        })
        .collect();
    let summary = plan.summary();
    let doc = json!({
        "format_version": JSON_FORMAT_VERSION,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "changes": !plan.is_empty(),
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "destroy": summary.destroy,
            "ignored": plan.ignored.iter().filter(|i| i.live).count(),
            "kept": plan.kept.len(),
            "existing": plan.existing,
        },
        "resource_changes": changes,
        "safety": {
            "refused": plan.refused(),
            "violations": plan.safety.violations.iter().map(|v| {
                let mut m = match serde_json::to_value(v) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                m.insert("message".into(), v.to_string().into());
                Value::Object(m)
            }).collect::<Vec<_>>(),
        },
        "ignored": plan.ignored.iter().map(|i| json!({
            "address": i.address.to_string(),
            "reason": i.because.to_string(),
            "live": i.live,
            "in_spec": i.in_spec,
        })).collect::<Vec<_>>(),
        "kept": plan.kept.iter().map(|k| json!({
            "address": k.address.to_string(),
            "reason": k.because.to_string(),
        })).collect::<Vec<_>>(),
        "warnings": plan.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    let mut doc = doc;
    if let Some(partial) = partial_json(plan) {
        doc["partial"] = partial;
    }
    if let Some(wiring) = wiring_json(plan) {
        doc["wiring"] = wiring;
    }
    let mut text = spec::text::json(serde_json::to_string_pretty(&doc).unwrap_or_default());
    text.push('\n');
    text
}

/// A partial plan's `partial` member (absent from a whole plan's JSON): the patterns, what
/// they left out, and the notice the other formats show.
pub(crate) fn partial_json(plan: &Plan) -> Option<Value> {
    let partial = plan.partial.as_ref()?;
    Some(json!({
        "target": partial.target,
        "exclude": partial.exclude,
        "excluded": partial.excluded,
        "covered": partial.covered,
        "left_out": partial.left_out,
        "message": partial_lines(plan, &backticks).join(" "),
    }))
}

pub(crate) fn fields(object: Option<&Object>) -> Value {
    object.map_or(Value::Null, |o| Value::Object(o.fields()))
}

/// The `wiring` member, when the plan checked the PCC wiring (absent otherwise): the
/// project's id in the account, each correction (`wired`: `project` or `number`, with
/// `number` its digits; `id` the account's id; each field with its `live` value, redacted,
/// and `pcc`, PCC's own URL), and the managed numbers the account does not list
/// (`unowned`).
pub(crate) fn wiring_json(plan: &Plan) -> Option<Value> {
    let wiring = plan.wiring.as_ref()?;
    let corrections: Vec<Value> = wiring
        .rewires
        .iter()
        .map(|r| {
            let mut item = match &r.wired {
                crate::Wired::Project => json!({ "wired": "project" }),
                crate::Wired::Number(digits) => json!({ "wired": "number", "number": digits }),
            };
            item["id"] = r.id.clone().into();
            item["fields"] = r
                .changes
                .iter()
                .map(|c| {
                    json!({
                        "field": c.field,
                        "live": c.from.as_ref().map(ToString::to_string),
                        "pcc": c.to,
                    })
                })
                .collect::<Vec<_>>()
                .into();
            item
        })
        .collect();
    Some(json!({
        "project_id": wiring.project_id,
        "corrections": corrections,
        "unowned": wiring.unowned,
    }))
}
