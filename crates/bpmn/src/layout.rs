//! Automatic layout for nodes drawn nowhere (OmniBPM-built workflows): layers left to right
//! by the longest path from the starts, stacked top to bottom within a layer.

use sluice_domain::workflow::Shape;
use std::collections::HashMap;

/// Horizontal distance between layers, vertical distance between rows.
const COLUMN: f64 = 180.0;
const ROW: f64 = 130.0;
const LEFT: f64 = 120.0;
const TOP: f64 = 100.0;

/// What the layout needs of an element.
pub(crate) struct Item {
    /// Width and height of its symbol.
    pub size: (f64, f64),
    /// Already drawn (kept as is).
    pub shape: Option<Shape>,
    /// A boundary event: drawn on its host's lower edge instead of in a layer.
    pub host: Option<usize>,
}

/// A shape for every item: the given ones kept, the others laid out. `edges` are index
/// pairs (source, target); the graph should be acyclic, and a cycle only costs neatness.
pub(crate) fn layout(items: &[Item], edges: &[(usize, usize)]) -> Vec<Shape> {
    let n = items.len();
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(s, t) in edges {
        if s < n && t < n {
            out[s].push(t);
            indegree[t] += 1;
        }
    }
    // Longest path from the roots (Kahn's order); nodes on a cycle keep layer 0 + what
    // reached them.
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut left = indegree.clone();
    while let Some(i) = ready.pop() {
        for &t in &out[i] {
            // A boundary event shares its host's layer; its targets come one layer after.
            let l = if items[t].host.is_some() {
                layer[i]
            } else {
                layer[i] + 1
            };
            layer[t] = layer[t].max(l);
            left[t] -= 1;
            if left[t] == 0 {
                ready.push(t);
            }
        }
    }
    let below = items
        .iter()
        .filter_map(|i| i.shape)
        .map(|s| s.y + s.height + ROW)
        .fold(0.0f64, f64::max);
    let top = if below > 0.0 { below } else { TOP };
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut shapes: Vec<Option<Shape>> = items.iter().map(|i| i.shape).collect();
    // Layer by layer, in the order the nodes were listed, so the diagram is stable.
    let mut placed: Vec<usize> = (0..n).filter(|&i| items[i].host.is_none()).collect();
    placed.sort_by_key(|&i| (layer[i], i));
    for i in placed {
        if shapes[i].is_some() {
            continue;
        }
        let row = rows.entry(layer[i]).or_insert(0);
        let (w, h) = items[i].size;
        let cx = LEFT + layer[i] as f64 * COLUMN + 50.0;
        let cy = top + *row as f64 * ROW + 40.0;
        *row += 1;
        shapes[i] = Some(Shape {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            width: w,
            height: h,
        });
    }
    // Boundary events on the lower edge of their host, side by side.
    let mut on_host: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let Some(host) = items[i].host else { continue };
        if shapes[i].is_some() {
            continue;
        }
        let k = on_host.entry(host).or_insert(0);
        let (w, h) = items[i].size;
        let hs = shapes.get(host).copied().flatten().unwrap_or(Shape {
            x: LEFT,
            y: top,
            width: 100.0,
            height: 80.0,
        });
        shapes[i] = Some(Shape {
            x: hs.x + hs.width - w - 4.0 - *k as f64 * (w + 4.0),
            y: hs.y + hs.height - h / 2.0,
            width: w,
            height: h,
        });
        *k += 1;
    }
    shapes
        .into_iter()
        .map(|s| {
            s.unwrap_or(Shape {
                x: LEFT,
                y: top,
                width: 100.0,
                height: 80.0,
            })
        })
        .collect()
}

/// The waypoints of a flow between two shapes: right side to left side, with an elbow when
/// they are not level; out of a boundary event, down then across.
pub(crate) fn waypoints(from: Shape, to: Shape, from_boundary: bool) -> Vec<(f64, f64)> {
    let (tx, ty) = (to.x, to.y + to.height / 2.0);
    if from_boundary {
        let (sx, sy) = (from.x + from.width / 2.0, from.y + from.height);
        return vec![(sx, sy), (sx, ty), (tx, ty)];
    }
    let (sx, sy) = (from.x + from.width, from.y + from.height / 2.0);
    if (sy - ty).abs() < 0.5 {
        return vec![(sx, sy), (tx, ty)];
    }
    let mid = if tx > sx { (sx + tx) / 2.0 } else { sx + 20.0 };
    vec![(sx, sy), (mid, sy), (mid, ty), (tx, ty)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            size: (100.0, 80.0),
            shape: None,
            host: None,
        }
    }

    #[test]
    fn layers_by_longest_path() {
        // 0 -> 1 -> 2 -> 3 and 0 -> 3: 3 goes to layer 3, after 2.
        let items: Vec<Item> = (0..4).map(|_| item()).collect();
        let s = layout(&items, &[(0, 1), (1, 2), (2, 3), (0, 3)]);
        assert!(s[0].x < s[1].x && s[1].x < s[2].x && s[2].x < s[3].x);
        assert_eq!(s[0].y, s[1].y);
    }

    #[test]
    fn parallel_branches_stack_and_drawn_shapes_stay() {
        let mut items: Vec<Item> = (0..4).map(|_| item()).collect();
        let drawn = Shape {
            x: 1.0,
            y: 2.0,
            width: 3.0,
            height: 4.0,
        };
        items[3].shape = Some(drawn);
        let s = layout(&items, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(s[1].x, s[2].x);
        assert!(s[2].y > s[1].y);
        assert_eq!(s[3], drawn);
    }

    #[test]
    fn boundary_sits_on_its_host_and_cycles_terminate() {
        let mut items: Vec<Item> = (0..3).map(|_| item()).collect();
        items[1].size = (36.0, 36.0);
        items[1].host = Some(0);
        let s = layout(&items, &[(0, 1), (1, 2), (2, 0)]);
        assert!(s[1].y > s[0].y && s[1].x > s[0].x);
        let s = layout(&[item(), item()], &[(0, 1), (1, 0)]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn waypoints_elbow() {
        let a = Shape {
            x: 0.0,
            y: 0.0,
            width: 100.0,
            height: 80.0,
        };
        let b = Shape {
            y: 200.0,
            x: 200.0,
            ..a
        };
        assert_eq!(waypoints(a, Shape { x: 200.0, ..a }, false).len(), 2);
        assert_eq!(waypoints(a, b, false).len(), 4);
        assert_eq!(waypoints(a, b, true)[0], (50.0, 80.0));
    }
}
