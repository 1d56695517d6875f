//! `apply_to(plan, live)`: what the live project looks like once every step of a plan has run,
//! computed in memory. The executor's tests and the planner's property tests compare it with
//! the desired model.

use spec::model::{Audio, IvrTree, Model};

use crate::object::Object;
use crate::plan::{Action, Plan, Step};
use spec::Address;

/// Runs `plan`'s steps, in order, against a copy of `live`. Steps on objects whose parent is
/// missing (which a plan made against `live` never has) change nothing. Like PCC, a tree's
/// start is the node created as its start.
pub fn apply_to(plan: &Plan, live: &Model) -> Model {
    let mut model = live.clone();
    for step in &plan.steps {
        apply_step(&mut model, step);
    }
    model
}

/// `live` with only the renames of `plan` made (`moved:`): the same objects under their new
/// names, as PCC holds them once the renames ran. What a caller reached live is compared with
/// this, so that a renamed queue is not "another queue".
pub fn renamed(plan: &Plan, live: &Model) -> Model {
    let mut model = live.clone();
    for step in &plan.steps {
        if let Some(from) = &step.moved_from {
            crate::moves::rename(&mut model, from, &step.address);
        }
    }
    model
}

fn apply_step(m: &mut Model, step: &Step) {
    if let Some(from) = &step.moved_from {
        // Like PCC: the object keeps its id, so what refers to it follows the new name.
        crate::moves::rename(m, from, &step.address);
    }
    put(m, &step.address, step.action, step.after.as_ref());
}

/// Makes one `action` on the object at `address` in `m`, with `after` its new value (none
/// for a delete). An object whose parent `m` lacks is left out. Creating objects in address
/// order (parents first) builds a model back from its flattened objects.
pub(crate) fn put(m: &mut Model, address: &Address, action: Action, after: Option<&Object>) {
    match (address, action) {
        (Address::Agent(id), Action::Delete) => {
            m.agents.remove(id);
        }
        (Address::Agent(id), _) => {
            if let Some(Object::Agent(a)) = after {
                m.agents.insert(id.clone(), a.clone());
            }
        }
        (Address::Group(name), Action::Delete) => {
            m.groups.remove(name);
        }
        (Address::Group(name), _) => {
            m.groups.entry(name.clone()).or_default();
        }
        (Address::Membership { group, agent }, action) => {
            if let Some(g) = m.groups.get_mut(group) {
                if action == Action::Delete {
                    g.agents.remove(agent);
                } else {
                    g.agents.insert(agent.clone());
                }
            }
        }
        (Address::Audio(_), _) => {
            if let Some(Object::Audio { id, name, file }) = after {
                m.audio.insert(
                    id.clone(),
                    Audio {
                        name: name.clone(),
                        file: file.clone(),
                    },
                );
            }
        }
        (Address::Queue(name), Action::Delete) => {
            m.queues.remove(name);
        }
        (Address::Queue(name), _) => {
            if let Some(Object::Queue(q)) = after {
                let routing = m
                    .queues
                    .remove(name)
                    .map(|old| old.routing)
                    .unwrap_or_default();
                let mut q = q.clone();
                q.routing = routing;
                m.queues.insert(name.clone(), q);
            }
        }
        (Address::Routing { queue, group }, action) => {
            if let Some(q) = m.queues.get_mut(queue) {
                if action == Action::Delete {
                    q.routing.remove(group);
                } else if let Some(Object::Routing(r)) = after {
                    q.routing.insert(group.clone(), *r);
                }
            }
        }
        (Address::IvrTree(name), Action::Delete) => {
            m.ivr.remove(name);
        }
        (Address::IvrTree(name), _) => {
            m.ivr.entry(name.clone()).or_insert_with(|| IvrTree {
                start: String::new(),
                nodes: Default::default(),
            });
        }
        (Address::IvrNode { tree, node }, action) => {
            let Some(t) = m.ivr.get_mut(tree) else { return };
            if action == Action::Delete {
                t.nodes.remove(node);
                return;
            }
            if let Some(Object::IvrNode { start, node: value }) = after {
                let keys = t.nodes.remove(node).map(|n| n.keys).unwrap_or_default();
                let mut value = value.clone();
                value.keys = keys;
                t.nodes.insert(node.clone(), value);
                if *start {
                    t.start = node.clone();
                }
            }
        }
        (Address::IvrKey { tree, node, key }, action) => {
            let Some(n) = m.ivr.get_mut(tree).and_then(|t| t.nodes.get_mut(node)) else {
                return;
            };
            if action == Action::Delete {
                n.keys.remove(key);
            } else if let Some(Object::IvrKey(k)) = after {
                n.keys.insert(*key, k.clone());
            }
        }
        (Address::Number(digits), Action::Delete) => {
            m.numbers.remove(digits);
        }
        (Address::Number(digits), _) => {
            if let Some(Object::Number(n)) = after {
                m.numbers.insert(digits.clone(), n.clone());
            }
        }
        (Address::Blacklist(digits), Action::Delete) => {
            if let Some(entries) = &mut m.blacklist {
                entries.remove(digits);
            }
        }
        (Address::Blacklist(digits), _) => {
            if let Some(Object::Blacklist(b)) = after {
                m.blacklist
                    .get_or_insert_default()
                    .insert(digits.clone(), *b);
            }
        }
        (Address::Settings, Action::Delete) => m.settings = None,
        (Address::Settings, _) => {
            if let Some(Object::Settings(s)) = after {
                m.settings = Some(s.clone());
            }
        }
    }
}
