//! A small in-memory PCC that enforces the reference rules of `docs/pcc-api-assumptions.md`
//! ("the server checks references and never cascades"): creating or updating something that
//! names a missing object fails, deleting something still referenced fails, duplicates fail,
//! and the first node created in a tree becomes its root. Executing a plan's steps against it
//! is what proves the plan's order.

use std::collections::{BTreeMap, BTreeSet};

use planner::{Action, Object, Step};
use spec::Address;
use spec::model::{AudioId, KeyAction, Model, NumberRoute, Prompt};

#[derive(Debug)]
pub struct Store {
    model: Model,
    /// The root node of each tree: the first node created while the tree had none.
    roots: BTreeMap<String, Option<String>>,
}

impl Store {
    pub fn new(live: &Model) -> Store {
        let roots = live
            .ivr
            .iter()
            .map(|(name, t)| {
                let root = (!t.nodes.is_empty()).then(|| t.start.clone());
                (name.clone(), root)
            })
            .collect();
        Store {
            model: live.clone(),
            roots,
        }
    }

    /// The project as it stands; each tree's start is its root.
    pub fn into_model(mut self) -> Model {
        for (name, tree) in &mut self.model.ivr {
            tree.start = self.roots.get(name).cloned().flatten().unwrap_or_default();
        }
        self.model
    }

    fn audio_exists(&self, id: &AudioId) -> bool {
        self.model.audio.contains_key(id)
    }

    fn queue_exists(&self, q: &str) -> bool {
        self.model.queues.contains_key(q)
    }

    /// Refs that an object's value needs.
    fn check_refs(&self, address: &Address, object: &Object) -> Result<(), String> {
        let missing = |what: String| Err(format!("{address}: refers to missing {what}"));
        match (address, object) {
            (_, Object::Queue(q)) => {
                for id in q.wait_greeting.iter().chain(q.hold_greeting.iter()) {
                    if !self.audio_exists(id) {
                        return missing(format!("audio {id}"));
                    }
                }
            }
            (_, Object::IvrNode { node, .. }) => {
                if let Prompt::Play { audio } = &node.prompt
                    && !self.audio_exists(audio)
                {
                    return missing(format!("audio {audio}"));
                }
            }
            (Address::IvrKey { tree, .. }, Object::IvrKey(KeyAction::Goto { node }))
                if !self
                    .model
                    .ivr
                    .get(tree)
                    .is_some_and(|t| t.nodes.contains_key(node)) =>
            {
                return missing(format!("node {tree}/{node}"));
            }
            (_, Object::IvrKey(KeyAction::Queue { queue })) if !self.queue_exists(queue) => {
                return missing(format!("queue {queue}"));
            }
            (_, Object::Number(n)) => match &n.route {
                Some(NumberRoute::Ivr(t)) if !self.model.ivr.contains_key(t) => {
                    return missing(format!("tree {t}"));
                }
                Some(NumberRoute::Queue(q)) if !self.queue_exists(q) => {
                    return missing(format!("queue {q}"));
                }
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// Who refers to `address`, if anyone (the server's r:4).
    fn referrer(&self, address: &Address) -> Option<String> {
        let m = &self.model;
        match address {
            Address::Agent(a) => m
                .groups
                .iter()
                .find(|(_, g)| g.agents.contains(a))
                .map(|(g, _)| format!("group {g} has it as member")),
            Address::Group(g) => {
                if m.groups.get(g).is_some_and(|g| !g.agents.is_empty()) {
                    return Some("it has members".into());
                }
                m.queues
                    .iter()
                    .find(|(_, q)| q.routing.contains_key(g))
                    .map(|(q, _)| format!("queue {q} routes to it"))
            }
            Address::Queue(q) => {
                if m.queues.get(q).is_some_and(|q| !q.routing.is_empty()) {
                    return Some("it routes to groups".into());
                }
                if let Some((n, _)) = m
                    .numbers
                    .iter()
                    .find(|(_, n)| n.route == Some(NumberRoute::Queue(q.clone())))
                {
                    return Some(format!("number {n} names it"));
                }
                for (t, tree) in &m.ivr {
                    for (n, node) in &tree.nodes {
                        for (k, action) in &node.keys {
                            if *action == (KeyAction::Queue { queue: q.clone() }) {
                                return Some(format!("key {t}/{n}/{k} names it"));
                            }
                        }
                    }
                }
                None
            }
            Address::IvrTree(t) => {
                if m.ivr.get(t).is_some_and(|t| !t.nodes.is_empty()) {
                    return Some("it holds nodes".into());
                }
                m.numbers
                    .iter()
                    .find(|(_, n)| n.route == Some(NumberRoute::Ivr(t.clone())))
                    .map(|(n, _)| format!("number {n} names it"))
            }
            Address::IvrNode { tree, node } => {
                let t = m.ivr.get(tree)?;
                if t.nodes.get(node).is_some_and(|n| !n.keys.is_empty()) {
                    return Some("it holds keys".into());
                }
                for (n, other) in &t.nodes {
                    for (k, action) in &other.keys {
                        if *action == (KeyAction::Goto { node: node.clone() }) {
                            return Some(format!("key {n}/{k} goes to it"));
                        }
                    }
                }
                let is_root = self.roots.get(tree).cloned().flatten().as_ref() == Some(node);
                if is_root && t.nodes.len() > 1 {
                    return Some("it is the root and other nodes exist".into());
                }
                None
            }
            _ => None,
        }
    }

    /// Runs one step like PCC would, or says why PCC would refuse it.
    pub fn run(&mut self, step: &Step) -> Result<(), String> {
        let a = &step.address;
        let err = |why: &str| Err(format!("{} {a}: {why}", action_name(step.action)));
        if step.action == Action::Delete {
            if let Some(why) = self.referrer(a) {
                return err(&format!("still referenced: {why}"));
            }
            return self.delete(a).map_err(|why| format!("delete {a}: {why}"));
        }
        let Some(after) = &step.after else {
            return err("no value");
        };
        if let Some(from) = &step.moved_from {
            // A `PUT` with a new name on the old object's id: what refers to it by id follows.
            if step.action != Action::Update {
                return err("a rename is an update");
            }
            if !self.exists(from) {
                return err(&format!("{from} does not exist"));
            }
            if self.exists(a) {
                return err("the new name is taken (duplicate)");
            }
            self.rename(from, a);
        }
        self.check_refs(a, after)?;
        let exists = self.exists(a);
        match step.action {
            Action::Create if exists => return err("already exists (duplicate)"),
            Action::Update if !exists && *a != Address::Settings => return err("does not exist"),
            _ => {}
        }
        self.put(a, after)
            .map_err(|why| format!("{} {a}: {why}", action_name(step.action)))
    }

    /// Renames a group, queue or tree; references are by id on the server, so every one of
    /// them now shows the new name.
    fn rename(&mut self, from: &Address, to: &Address) {
        let m = &mut self.model;
        match (from, to) {
            (Address::Group(old), Address::Group(new)) => {
                let g = m.groups.remove(old).unwrap_or_default();
                m.groups.insert(new.clone(), g);
                for q in m.queues.values_mut() {
                    if let Some(r) = q.routing.remove(old) {
                        q.routing.insert(new.clone(), r);
                    }
                }
            }
            (Address::Queue(old), Address::Queue(new)) => {
                if let Some(q) = m.queues.remove(old) {
                    m.queues.insert(new.clone(), q);
                }
                for node in m.ivr.values_mut().flat_map(|t| t.nodes.values_mut()) {
                    for action in node.keys.values_mut() {
                        if *action == (KeyAction::Queue { queue: old.clone() }) {
                            *action = KeyAction::Queue { queue: new.clone() };
                        }
                    }
                }
                for n in m.numbers.values_mut() {
                    if n.route == Some(NumberRoute::Queue(old.clone())) {
                        n.route = Some(NumberRoute::Queue(new.clone()));
                    }
                }
            }
            (Address::IvrTree(old), Address::IvrTree(new)) => {
                if let Some(t) = m.ivr.remove(old) {
                    m.ivr.insert(new.clone(), t);
                }
                if let Some(root) = self.roots.remove(old) {
                    self.roots.insert(new.clone(), root);
                }
                for n in m.numbers.values_mut() {
                    if n.route == Some(NumberRoute::Ivr(old.clone())) {
                        n.route = Some(NumberRoute::Ivr(new.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    fn exists(&self, a: &Address) -> bool {
        let m = &self.model;
        match a {
            Address::Agent(x) => m.agents.contains_key(x),
            Address::Group(x) => m.groups.contains_key(x),
            Address::Membership { group, agent } => m
                .groups
                .get(group)
                .is_some_and(|g| g.agents.contains(agent)),
            Address::Audio(_) => false,
            Address::Queue(x) => m.queues.contains_key(x),
            Address::Routing { queue, group } => m
                .queues
                .get(queue)
                .is_some_and(|q| q.routing.contains_key(group)),
            Address::IvrTree(x) => m.ivr.contains_key(x),
            Address::IvrNode { tree, node } => {
                m.ivr.get(tree).is_some_and(|t| t.nodes.contains_key(node))
            }
            Address::IvrKey { tree, node, key } => m
                .ivr
                .get(tree)
                .and_then(|t| t.nodes.get(node))
                .is_some_and(|n| n.keys.contains_key(key)),
            Address::Number(x) => m.numbers.contains_key(x),
            Address::Blacklist(x) => m.blacklist.as_ref().is_some_and(|b| b.contains_key(x)),
            Address::Settings => m.settings.is_some(),
        }
    }

    fn put(&mut self, a: &Address, after: &Object) -> Result<(), String> {
        let m = &mut self.model;
        match (a, after) {
            (Address::Agent(x), Object::Agent(v)) => {
                m.agents.insert(x.clone(), v.clone());
            }
            (Address::Group(x), Object::Group) => {
                // An update (a rename) keeps the members.
                m.groups.entry(x.clone()).or_default();
            }
            (Address::Membership { group, agent }, Object::Membership) => {
                if !m.agents.contains_key(agent) {
                    return Err(format!("agent {agent} does not exist"));
                }
                let g = m.groups.get_mut(group).ok_or("group does not exist")?;
                g.agents.insert(agent.clone());
            }
            (Address::Audio(_), Object::Audio { id, name, file }) => {
                m.audio.insert(
                    id.clone(),
                    spec::model::Audio {
                        name: name.clone(),
                        file: file.clone(),
                    },
                );
            }
            (Address::Queue(x), Object::Queue(v)) => {
                let routing = m.queues.remove(x).map(|q| q.routing).unwrap_or_default();
                let mut v = v.clone();
                v.routing = routing;
                m.queues.insert(x.clone(), v);
            }
            (Address::Routing { queue, group }, Object::Routing(r)) => {
                if !m.groups.contains_key(group) {
                    return Err(format!("group {group} does not exist"));
                }
                let q = m.queues.get_mut(queue).ok_or("queue does not exist")?;
                q.routing.insert(group.clone(), *r);
            }
            (Address::IvrTree(x), Object::IvrTree) => {
                // An update (a rename) keeps the nodes and the root.
                if !m.ivr.contains_key(x) {
                    m.ivr.insert(
                        x.clone(),
                        spec::model::IvrTree {
                            start: String::new(),
                            nodes: Default::default(),
                        },
                    );
                    self.roots.insert(x.clone(), None);
                }
            }
            (Address::IvrNode { tree, node }, Object::IvrNode { node: v, .. }) => {
                let t = m.ivr.get_mut(tree).ok_or("tree does not exist")?;
                let keys = t.nodes.remove(node).map(|n| n.keys).unwrap_or_default();
                let mut v = v.clone();
                v.keys = keys;
                t.nodes.insert(node.clone(), v);
                let root = self.roots.entry(tree.clone()).or_default();
                if root.is_none() {
                    *root = Some(node.clone());
                }
            }
            (Address::IvrKey { tree, node, key }, Object::IvrKey(action)) => {
                let n = m
                    .ivr
                    .get_mut(tree)
                    .and_then(|t| t.nodes.get_mut(node))
                    .ok_or("node does not exist")?;
                n.keys.insert(*key, action.clone());
            }
            (Address::Number(x), Object::Number(v)) => {
                m.numbers.insert(x.clone(), v.clone());
            }
            (Address::Blacklist(x), Object::Blacklist(v)) => {
                m.blacklist.get_or_insert_default().insert(x.clone(), *v);
            }
            (Address::Settings, Object::Settings(v)) => m.settings = Some(v.clone()),
            _ => return Err("value of the wrong kind".into()),
        }
        Ok(())
    }

    fn delete(&mut self, a: &Address) -> Result<(), String> {
        let m = &mut self.model;
        let gone = match a {
            Address::Agent(x) => m.agents.remove(x).is_some(),
            Address::Group(x) => m.groups.remove(x).is_some(),
            Address::Membership { group, agent } => m
                .groups
                .get_mut(group)
                .is_some_and(|g| g.agents.remove(agent)),
            Address::Audio(_) => return Err("PCC has no audio delete".into()),
            Address::Queue(x) => m.queues.remove(x).is_some(),
            Address::Routing { queue, group } => m
                .queues
                .get_mut(queue)
                .is_some_and(|q| q.routing.remove(group).is_some()),
            Address::IvrTree(x) => {
                self.roots.remove(x);
                m.ivr.remove(x).is_some()
            }
            Address::IvrNode { tree, node } => {
                let t = m.ivr.get_mut(tree);
                let gone = t.is_some_and(|t| t.nodes.remove(node).is_some());
                if let Some(root) = self.roots.get_mut(tree)
                    && root.as_ref() == Some(node)
                {
                    *root = None;
                }
                gone
            }
            Address::IvrKey { tree, node, key } => m
                .ivr
                .get_mut(tree)
                .and_then(|t| t.nodes.get_mut(node))
                .is_some_and(|n| n.keys.remove(key).is_some()),
            Address::Number(x) => m.numbers.remove(x).is_some(),
            Address::Blacklist(x) => m.blacklist.as_mut().is_some_and(|b| b.remove(x).is_some()),
            Address::Settings => return Err("settings cannot be deleted".into()),
        };
        if gone {
            Ok(())
        } else {
            Err("does not exist".into())
        }
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

/// Runs `steps` in the order given by `order` (indexes into `steps`), checking that every
/// step's dependencies ran before it.
pub fn run_in_order(store: &mut Store, steps: &[Step], order: &[usize]) -> Result<(), String> {
    let mut done = BTreeSet::new();
    for &i in order {
        for d in &steps[i].depends_on {
            if !done.contains(d) {
                return Err(format!(
                    "step {i} ({}) ran before its dependency {d}",
                    steps[i].address
                ));
            }
        }
        store.run(&steps[i])?;
        done.insert(i);
    }
    Ok(())
}
