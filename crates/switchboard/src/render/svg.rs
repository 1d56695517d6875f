//! A [`Diagram`] as SVG, laid out here without any external program: a layered layout in
//! the spirit of Sugiyama's. Rows are the distance from the entry (breadth-first), endings sit
//! one row below the deepest menu that reaches them, long arrows pass through invisible
//! waypoints so that they do not cross boxes, rows are ordered by the barycentre of their
//! neighbours to cut crossings, and arrows that go back up (loops, "hear this again") are
//! drawn as curves on the right-hand side.

use std::collections::BTreeMap;
use std::fmt::Write;

use planner::render::Diagram;
use planner::render::diagram::{Change, ItemKind};

use crate::render::{text, wrap_lines};

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
/// Average advance of a 12 px sans-serif character, for sizing boxes (no font metrics here).
const CHAR_W: f64 = 6.9;
const LINE_H: f64 = 15.0;
const PAD_X: f64 = 12.0;
const PAD_Y: f64 = 9.0;
const GAP_X: f64 = 26.0;
const GAP_Y: f64 = 58.0;
const MARGIN: f64 = 20.0;
const WAYPOINT_W: f64 = 14.0;
/// How far right of its box a loop to the box itself reaches, and how much further each next
/// loop of the same box.
const LOOP_OUT: f64 = 26.0;
const LOOP_STAGGER: f64 = 14.0;

/// Room a box needs on its right for its loops to itself and their keys.
fn self_loop_room(d: &Diagram, i: usize) -> f64 {
    let loops: Vec<&str> = d
        .edges
        .iter()
        .filter(|e| e.from == i && e.to == i)
        .map(|e| e.label.as_str())
        .collect();
    if loops.is_empty() {
        return 0.0;
    }
    let widest = loops.iter().map(|l| label_width(l)).fold(0.0, f64::max);
    LOOP_OUT + LOOP_STAGGER * (loops.len() as f64 - 1.0) + widest / 2.0 + 6.0
}

fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 6.6 + 8.0
}

/// Every drawing in one SVG document, one below the other, each under its tree's name.
pub fn document(drawings: &[Diagram]) -> String {
    let mut parts = Vec::new();
    let mut y = 0.0;
    let mut width: f64 = 0.0;
    for (i, d) in drawings.iter().enumerate() {
        let laid = layout(d);
        let body = draw(d, &laid, &format!("t{i}"));
        parts.push(format!(
            "<svg x=\"0\" y=\"{y:.0}\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.0} {:.0}\">{}</svg>",
            laid.width, laid.height, laid.width, laid.height, body
        ));
        y += laid.height + 10.0;
        width = width.max(laid.width);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width:.0}\" height=\"{y:.0}\" viewBox=\"0 0 {width:.0} {y:.0}\" role=\"img\">\n\
         <title>IVR trees</title>\n{}\n</svg>\n",
        parts.join("\n")
    )
}

/// One drawing as an `<svg>` element for inlining in HTML; `id_prefix` keeps its element ids
/// (arrow heads) apart from other drawings on the same page.
pub fn element(d: &Diagram, id_prefix: &str) -> String {
    let laid = layout(d);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ivr-tree\" data-tree=\"{}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" \
         aria-label=\"IVR tree {}\">{}</svg>",
        escape(&d.tree),
        escape(&d.tree),
        draw(d, &laid, id_prefix),
        w = laid.width,
        h = laid.height,
    )
}

/// A box's place and text.
#[derive(Clone, Debug)]
struct Placed {
    /// Centre x.
    x: f64,
    /// Top y.
    y: f64,
    w: f64,
    h: f64,
    lines: Vec<String>,
}

impl Placed {
    fn left(&self) -> f64 {
        self.x - self.w / 2.0
    }
    fn right(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn bottom(&self) -> f64 {
        self.y + self.h
    }
    fn mid_y(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// One position in a row: a box, or a waypoint of a long arrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Item(usize),
    /// The `k`th waypoint of edge `e`.
    Waypoint(usize, usize),
}

#[derive(Debug)]
struct Layout {
    items: Vec<Placed>,
    /// Waypoint centres by (edge, k).
    waypoints: BTreeMap<(usize, usize), (f64, f64)>,
    /// Row of every item.
    row: Vec<usize>,
    width: f64,
    height: f64,
}

fn size(d: &Diagram, i: usize) -> (f64, f64, Vec<String>) {
    let item = &d.items[i];
    let mut lines = vec![item.title.clone()];
    let (width, max) = match item.kind {
        ItemKind::Entry => (44, 2),
        ItemKind::Menu | ItemKind::Missing => (32, 3),
        _ => (32, 0),
    };
    if max > 0 {
        lines.extend(wrap_lines(&text(item), width, max));
    }
    let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let mut w = (chars * CHAR_W + 2.0 * PAD_X).max(70.0);
    let mut h = lines.len() as f64 * LINE_H + 2.0 * PAD_Y;
    match item.kind {
        ItemKind::Hangup => {
            w = 68.0;
            h = 44.0;
        }
        ItemKind::Forward => w += 24.0,
        ItemKind::Queue => w += 12.0,
        _ => {}
    }
    (w, h, lines)
}

fn layout(d: &Diagram) -> Layout {
    let n = d.items.len();
    let is_ending = |i: usize| {
        matches!(
            d.items[i].kind,
            ItemKind::Queue | ItemKind::Forward | ItemKind::Hangup | ItemKind::Missing
        )
    };

    // Rows: breadth-first distance from the entry over menus; menus nothing reaches start
    // their own search on row 1.
    let mut row: Vec<Option<usize>> = vec![None; n];
    let mut roots: Vec<usize> = vec![0];
    roots.extend((1..n).filter(|&i| !is_ending(i)));
    for root in roots {
        if row[root].is_some() {
            continue;
        }
        row[root] = Some(if root == 0 { 0 } else { 1 });
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(at) = queue.pop_front() {
            for e in d.edges.iter().filter(|e| e.from == at) {
                if row[e.to].is_none() && !is_ending(e.to) {
                    row[e.to] = Some(row[at].expect("visited") + 1);
                    queue.push_back(e.to);
                }
            }
        }
    }
    // Endings sit one row below the deepest menu that reaches them.
    for i in (0..n).filter(|&i| is_ending(i)) {
        let deepest = d
            .edges
            .iter()
            .filter(|e| e.to == i)
            .filter_map(|e| row[e.from])
            .max()
            .unwrap_or(0);
        row[i] = Some(deepest + 1);
    }
    let row: Vec<usize> = row.into_iter().map(|r| r.unwrap_or(1)).collect();
    let rows = row.iter().max().copied().unwrap_or(0) + 1;

    // Arrows between rows get a waypoint on every row they cross. An arrow going back up is
    // laid out like one going down, from its target to its source, and drawn with its head
    // at the top.
    let mut slots: Vec<Vec<Slot>> = vec![Vec::new(); rows];
    for i in 0..n {
        slots[row[i]].push(Slot::Item(i));
    }
    // Segments between consecutive slots of an arrow: (upper, lower).
    let mut segments: Vec<(Slot, Slot)> = Vec::new();
    for (ei, e) in d.edges.iter().enumerate() {
        let (upper, lower) = match row[e.from].cmp(&row[e.to]) {
            std::cmp::Ordering::Less => (e.from, e.to),
            std::cmp::Ordering::Greater => (e.to, e.from),
            std::cmp::Ordering::Equal => continue,
        };
        let mut prev = Slot::Item(upper);
        for (k, r) in (row[upper] + 1..row[lower]).enumerate() {
            let wp = Slot::Waypoint(ei, k);
            slots[r].push(wp);
            segments.push((prev, wp));
            prev = wp;
        }
        segments.push((prev, Slot::Item(lower)));
    }

    // Order rows: first by the order of what leads to each slot, then barycentre sweeps.
    let position = |slots: &Vec<Vec<Slot>>| -> BTreeMap<SlotKey, f64> {
        let mut pos = BTreeMap::new();
        for r in slots {
            for (i, s) in r.iter().enumerate() {
                pos.insert(key(*s), i as f64);
            }
        }
        pos
    };
    for sweep in 0..8 {
        let down = sweep % 2 == 0;
        let pos = position(&slots);
        let order: Vec<usize> = if down {
            (1..rows).collect()
        } else {
            (0..rows.saturating_sub(1)).rev().collect()
        };
        for r in order {
            let mut keyed: Vec<(f64, f64, Slot)> = slots[r]
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let neighbours: Vec<f64> = segments
                        .iter()
                        .filter_map(|(a, b)| {
                            if down && *b == *s {
                                pos.get(&key(*a)).copied()
                            } else if !down && *a == *s {
                                pos.get(&key(*b)).copied()
                            } else {
                                None
                            }
                        })
                        .collect();
                    let bary = if neighbours.is_empty() {
                        i as f64
                    } else {
                        neighbours.iter().sum::<f64>() / neighbours.len() as f64
                    };
                    (bary, i as f64, *s)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            slots[r] = keyed.into_iter().map(|(_, _, s)| s).collect();
        }
    }

    // Sizes and row heights.
    let sized: Vec<(f64, f64, Vec<String>)> = (0..n).map(|i| size(d, i)).collect();
    let loop_room: Vec<f64> = (0..n).map(|i| self_loop_room(d, i)).collect();
    // Boxes with loops to themselves keep room for them on both sides (rows stay centred).
    let slot_w = |s: Slot| match s {
        Slot::Item(i) => sized[i].0 + 2.0 * loop_room[i],
        Slot::Waypoint(..) => WAYPOINT_W,
    };
    let row_h: Vec<f64> = (0..rows)
        .map(|r| {
            slots[r]
                .iter()
                .filter_map(|s| match s {
                    Slot::Item(i) => Some(sized[*i].1),
                    Slot::Waypoint(..) => None,
                })
                .fold(LINE_H, f64::max)
        })
        .collect();
    let mut row_top = vec![MARGIN; rows];
    for r in 1..rows {
        row_top[r] = row_top[r - 1] + row_h[r - 1] + GAP_Y;
    }

    // x: pack each row, then pull every slot towards its neighbours' centres, keeping order
    // and gaps.
    let mut x: BTreeMap<SlotKey, f64> = BTreeMap::new();
    for r in &slots {
        let mut left = 0.0;
        for s in r {
            let w = slot_w(*s);
            x.insert(key(*s), left + w / 2.0);
            left += w + GAP_X;
        }
    }
    for round in 0..6 {
        let down = round % 2 == 0;
        let order: Vec<usize> = if down {
            (1..rows).collect()
        } else {
            (0..rows.saturating_sub(1)).rev().collect()
        };
        for r in order {
            let wanted: Vec<f64> = slots[r]
                .iter()
                .map(|s| {
                    let xs: Vec<f64> = segments
                        .iter()
                        .filter_map(|(a, b)| {
                            if *b == *s && down {
                                x.get(&key(*a)).copied()
                            } else if *a == *s && !down {
                                x.get(&key(*b)).copied()
                            } else {
                                None
                            }
                        })
                        .collect();
                    if xs.is_empty() {
                        x[&key(*s)]
                    } else {
                        xs.iter().sum::<f64>() / xs.len() as f64
                    }
                })
                .collect();
            let mut placed = wanted.clone();
            for i in 1..placed.len() {
                let min =
                    placed[i - 1] + (slot_w(slots[r][i - 1]) + slot_w(slots[r][i])) / 2.0 + GAP_X;
                if placed[i] < min {
                    placed[i] = min;
                }
            }
            // Pushing right only drifts the row; shift it back by the mean displacement.
            let drift = placed.iter().zip(&wanted).map(|(p, w)| p - w).sum::<f64>()
                / placed.len().max(1) as f64;
            for (s, p) in slots[r].iter().zip(&placed) {
                x.insert(key(*s), p - drift);
            }
        }
    }
    let min_left = slots
        .iter()
        .flatten()
        .map(|s| x[&key(*s)] - slot_w(*s) / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - min_left;

    let items: Vec<Placed> = (0..n)
        .map(|i| {
            let (w, h, lines) = sized[i].clone();
            let r = row[i];
            Placed {
                x: x[&key(Slot::Item(i))] + shift,
                y: row_top[r] + (row_h[r] - h) / 2.0,
                w,
                h,
                lines,
            }
        })
        .collect();
    let mut waypoints = BTreeMap::new();
    for (r, slots) in slots.iter().enumerate() {
        for s in slots {
            if let Slot::Waypoint(e, k) = s {
                waypoints.insert((*e, *k), (x[&key(*s)] + shift, row_top[r] + row_h[r] / 2.0));
            }
        }
    }
    let right = (0..n)
        .map(|i| items[i].right() + loop_room[i])
        .fold(0.0, f64::max);
    let height = row_top[rows - 1] + row_h[rows - 1] + MARGIN;
    Layout {
        items,
        waypoints,
        row,
        width: right + MARGIN,
        height,
    }
}

type SlotKey = (u8, usize, usize);

fn key(s: Slot) -> SlotKey {
    match s {
        Slot::Item(i) => (0, i, 0),
        Slot::Waypoint(e, k) => (1, e, k),
    }
}

/// Where each arrow between rows meets each of its two boxes: spread along the box's bottom
/// (arrows to lower rows) or top (arrows from upper rows), ordered by where the arrow's next
/// point is, so that arrows do not cross at the box. Keyed by (edge, item).
fn ports(d: &Diagram, laid: &Layout) -> BTreeMap<(usize, usize), f64> {
    // (item, bottom side?) -> [(x of the arrow's next point, edge)]
    let mut sides: BTreeMap<(usize, bool), Vec<(f64, usize)>> = BTreeMap::new();
    for (ei, e) in d.edges.iter().enumerate() {
        let (rf, rt) = (laid.row[e.from], laid.row[e.to]);
        if rf == rt {
            continue;
        }
        let (upper, lower) = if rf < rt {
            (e.from, e.to)
        } else {
            (e.to, e.from)
        };
        let hops = laid.row[lower] - laid.row[upper];
        let below_upper = if hops > 1 {
            laid.waypoints[&(ei, 0)].0
        } else {
            laid.items[lower].x
        };
        let above_lower = if hops > 1 {
            laid.waypoints[&(ei, hops - 2)].0
        } else {
            laid.items[upper].x
        };
        sides
            .entry((upper, true))
            .or_default()
            .push((below_upper, ei));
        sides
            .entry((lower, false))
            .or_default()
            .push((above_lower, ei));
    }
    let mut ports = BTreeMap::new();
    for ((item, _), mut list) in sides {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let b = &laid.items[item];
        let span = (b.w - 16.0).max(0.0);
        let count = list.len() as f64;
        for (at, (_, ei)) in list.iter().enumerate() {
            ports.insert(
                (*ei, item),
                b.left() + 8.0 + span * (at as f64 + 1.0) / (count + 1.0),
            );
        }
    }
    ports
}

fn colours(change: Change) -> Option<(&'static str, &'static str)> {
    match change {
        Change::Same => None,
        Change::Added => Some(("#1a7f37", "#dafbe1")),
        Change::Changed => Some(("#9a6700", "#fff8c5")),
        Change::Removed => Some(("#cf222e", "#ffebe9")),
    }
}

fn edge_colour(change: Change) -> &'static str {
    colours(change).map_or("#57606a", |(stroke, _)| stroke)
}

fn draw(d: &Diagram, laid: &Layout, p: &str) -> String {
    let mut out = String::new();
    let _ = write!(out, "<title>IVR tree {}</title><defs>", escape(&d.tree));
    for change in [
        Change::Same,
        Change::Added,
        Change::Changed,
        Change::Removed,
    ] {
        let _ = write!(
            out,
            "<marker id=\"{p}-arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            change.class(),
            edge_colour(change)
        );
    }
    out.push_str("</defs>");

    // Arrows first, so that boxes sit on top of them.
    let mut labels = String::new();
    let ports = ports(d, laid);
    let mut loops_drawn: BTreeMap<usize, usize> = BTreeMap::new();
    // Keys already placed: (centre x, centre y, width).
    let mut taken: Vec<(f64, f64, f64)> = Vec::new();
    for (ei, e) in d.edges.iter().enumerate() {
        let (from, to) = (&laid.items[e.from], &laid.items[e.to]);
        let colour = edge_colour(e.change);
        let dash = if e.change == Change::Removed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let width = if e.change == Change::Same { 1.4 } else { 2.2 };
        let (rf, rt) = (laid.row[e.from], laid.row[e.to]);
        let (path, label_at) = if e.from == e.to {
            // A loop on the box's right side; the next loop of the same box goes wider.
            let k = loops_drawn.entry(e.from).or_insert(0);
            let out = LOOP_OUT + *k as f64 * LOOP_STAGGER;
            let spread = 8.0 + *k as f64 * 4.0;
            let count = d
                .edges
                .iter()
                .filter(|x| x.from == e.from && x.to == e.from)
                .count();
            let label_y = from.mid_y() + (*k as f64 - (count as f64 - 1.0) / 2.0) * 17.0;
            *k += 1;
            let (x0, y0) = (from.right(), from.mid_y() + spread);
            let (x1, y1) = (from.right() + 1.0, from.mid_y() - spread);
            let path = format!(
                "M{x0:.1},{y0:.1} C{:.1},{:.1} {:.1},{:.1} {x1:.1},{y1:.1}",
                x0 + out * 1.3,
                y0 + spread * 1.5,
                x0 + out * 1.3,
                y1 - spread * 1.5,
            );
            (path, vec![(x0 + out, label_y)])
        } else if rf == rt {
            // Same row: an arc over the row.
            let (x0, y0) = (from.x, from.y);
            let (x1, y1) = (to.x, to.y - 1.0);
            let lift = 34.0;
            let path = format!(
                "M{x0:.1},{y0:.1} C{x0:.1},{:.1} {x1:.1},{:.1} {x1:.1},{y1:.1}",
                y0 - lift,
                y1 - lift
            );
            (path, vec![((x0 + x1) / 2.0, y0 - lift * 0.75)])
        } else {
            // Down, or back up: through the waypoints, from the upper box's bottom to the
            // lower box's top; an arrow going up is the same curve walked the other way.
            let down = rt > rf;
            let (upper, lower) = if down { (e.from, e.to) } else { (e.to, e.from) };
            let (u, l) = (&laid.items[upper], &laid.items[lower]);
            let mut pts = vec![(
                ports[&(ei, upper)],
                u.bottom() + if down { 0.0 } else { 1.0 },
            )];
            for k in 0..(laid.row[lower] - laid.row[upper] - 1) {
                pts.push(laid.waypoints[&(ei, k)]);
            }
            pts.push((ports[&(ei, lower)], l.y - if down { 1.0 } else { 0.0 }));
            if !down {
                pts.reverse();
            }
            let mut path = format!("M{:.1},{:.1}", pts[0].0, pts[0].1);
            for w in pts.windows(2) {
                let (a, b) = (w[0], w[1]);
                let dy = (b.1 - a.1) / 2.0;
                let _ = write!(
                    path,
                    " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                    a.0,
                    a.1 + dy,
                    b.0,
                    b.1 - dy,
                    b.0,
                    b.1
                );
            }
            // The key sits near the box it leaves, where it is read: the first of these
            // points along the first curve that no other key covers.
            let (a, b) = (pts[0], pts[1]);
            let on_curve = |t: f64| {
                let x = a.0 + (b.0 - a.0) * t * t * (3.0 - 2.0 * t);
                let y = a.1 + (b.1 - a.1) * (1.5 * t * (1.0 - t) + t * t * t);
                (x, y)
            };
            let length = (b.1 - a.1).abs().max(1.0);
            let candidates = [24.0, 40.0, 56.0, 72.0, 12.0]
                .iter()
                .map(|px| on_curve((px / length).min(0.85)))
                .collect();
            (path, candidates)
        };
        let label_at = *label_at
            .iter()
            .find(|(x, y)| {
                let w = label_width(&e.label);
                !taken.iter().any(|(tx, ty, tw): &(f64, f64, f64)| {
                    (x - tx).abs() < (w + tw) / 2.0 + 2.0 && (y - ty).abs() < 16.0
                })
            })
            .unwrap_or(&label_at[0]);
        if !e.label.is_empty() {
            taken.push((label_at.0, label_at.1, label_width(&e.label)));
        }
        let _ = write!(
            out,
            "<path class=\"edge {}\" d=\"{path}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"{width}\"{dash} marker-end=\"url(#{p}-arrow-{})\"/>",
            e.change.class(),
            e.change.class()
        );
        if !e.label.is_empty() {
            let w = label_width(&e.label);
            let _ = write!(
                labels,
                "<g class=\"key\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"15\" rx=\"3\" \
                 fill=\"#ffffff\" stroke=\"{colour}\" stroke-width=\"0.8\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" \
                 fill=\"{colour}\">{}</text></g>",
                label_at.0 - w / 2.0,
                label_at.1 - 7.5,
                label_at.0,
                label_at.1 + 4.0,
                escape(&e.label)
            );
        }
    }

    for (i, item) in d.items.iter().enumerate() {
        let b = &laid.items[i];
        let (mut stroke, mut fill, mut text) = match item.kind {
            ItemKind::Entry => ("#24292f", "#24292f", "#ffffff"),
            ItemKind::Menu => ("#57606a", "#ffffff", "#1f2328"),
            ItemKind::Missing => ("#cf222e", "#ffffff", "#cf222e"),
            ItemKind::Queue => ("#0969da", "#ddf4ff", "#0a3069"),
            ItemKind::Forward => ("#8250df", "#fbefff", "#3e1f79"),
            ItemKind::Hangup => ("#57606a", "#f6f8fa", "#1f2328"),
        };
        if let Some((s, f)) = colours(item.change) {
            stroke = s;
            fill = f;
            text = "#1f2328";
        }
        let sw = if item.change == Change::Same {
            1.2
        } else {
            2.4
        };
        let dash = if item.change == Change::Removed || item.kind == ItemKind::Missing {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let kind = match item.kind {
            ItemKind::Entry => "entry",
            ItemKind::Menu => "menu",
            ItemKind::Missing => "missing",
            ItemKind::Queue => "queue",
            ItemKind::Forward => "forward",
            ItemKind::Hangup => "hangup",
        };
        let _ = write!(
            out,
            "<g class=\"node {kind} {}\" data-node=\"{}\">",
            item.change.class(),
            escape(&item.name)
        );
        let shape_attrs =
            format!("fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"{dash}");
        let _ = match item.kind {
            ItemKind::Hangup => write!(
                out,
                "<ellipse cx=\"{:.1}\" cy=\"{:.1}\" rx=\"{:.1}\" ry=\"{:.1}\" {shape_attrs}/>",
                b.x,
                b.mid_y(),
                b.w / 2.0,
                b.h / 2.0
            ),
            ItemKind::Forward => {
                let s = 12.0;
                write!(
                    out,
                    "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" {shape_attrs}/>",
                    b.left() + s,
                    b.y,
                    b.right(),
                    b.y,
                    b.right() - s,
                    b.bottom(),
                    b.left(),
                    b.bottom()
                )
            }
            _ => {
                let rx = match item.kind {
                    ItemKind::Queue => b.h / 2.0,
                    ItemKind::Entry => 14.0,
                    _ => 7.0,
                };
                write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{rx:.1}\" {shape_attrs}/>",
                    b.left(),
                    b.y,
                    b.w,
                    b.h
                )
            }
        };
        let first = b.mid_y() - (b.lines.len() as f64 - 1.0) * LINE_H / 2.0 + 4.0;
        for (li, line) in b.lines.iter().enumerate() {
            let weight = if li == 0 { " font-weight=\"600\"" } else { "" };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{text}\"{weight}>{}</text>",
                b.x,
                first + li as f64 * LINE_H,
                escape(line)
            );
        }
        if item.change != Change::Same {
            let word = match item.change {
                Change::Added => "new",
                Change::Changed => "changed",
                Change::Removed => "removed",
                Change::Same => "",
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"{stroke}\" font-weight=\"600\">{word}</text>",
                b.right(),
                b.y - 3.0
            );
        }
        out.push_str("</g>");
    }
    out.push_str(&labels);
    format!(
        "<g font-family=\"{FONT}\">{out}</g>",
        FONT = FONT.replace('\'', "&apos;")
    )
}

/// Makes text safe in SVG (XML) text and attribute values: `spec::text::html` (entities, and
/// every character XML forbids, U+FFFE included, shown as an escape).
pub fn escape(s: &str) -> String {
    spec::text::html(s)
}
