//! [`Order`]: members kept sorted by (score, member) in a treap whose
//! nodes count their subtrees, so that a rank, the element at a rank and
//! the rank where a score or a name would go each cost O(log n) expected.
//!
//! Nodes live in one vector and refer to each other by index (a freed
//! slot is reused), so there is no unsafe code and no per-node allocation
//! besides the member's own bytes when it is too long to inline.

use std::cmp::Ordering;

use crate::bytes::Bytes;

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Bytes,
    priority: u32,
    left: u32,
    right: u32,
    /// Nodes in this subtree, this one included.
    size: u32,
}

/// Elements sorted by score, then by member's bytes.
#[derive(Clone, Debug)]
pub struct Order {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
}

impl Default for Order {
    fn default() -> Order {
        Order { nodes: Vec::new(), free: Vec::new(), root: NIL, seed: 0x9e37_79b9_7f4a_7c15 }
    }
}

/// The order of two elements.
pub fn cmp(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then_with(|| a.1.cmp(b.1))
}

impl Order {
    /// Elements held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.size(self.root)
    }

    fn size(&self, t: u32) -> usize {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size as usize
        }
    }

    fn fix(&mut self, t: u32) {
        let n = &self.nodes[t as usize];
        let size = 1 + self.size(n.left) + self.size(n.right);
        self.nodes[t as usize].size = size as u32;
    }

    fn next_priority(&mut self) -> u32 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed >> 32) as u32
    }

    /// Splits `t` into the elements before the bound (`before` true) and
    /// the rest.
    fn split(&mut self, t: u32, before: &impl Fn(f64, &[u8]) -> bool) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = &self.nodes[t as usize];
        if before(n.score, &n.member) {
            let (l, r) = self.split(n.right, before);
            self.nodes[t as usize].right = l;
            self.fix(t);
            (t, r)
        } else {
            let (l, r) = self.split(n.left, before);
            self.nodes[t as usize].left = r;
            self.fix(t);
            (l, t)
        }
    }

    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].priority > self.nodes[b as usize].priority {
            let r = self.nodes[a as usize].right;
            self.nodes[a as usize].right = self.merge(r, b);
            self.fix(a);
            a
        } else {
            let l = self.nodes[b as usize].left;
            self.nodes[b as usize].left = self.merge(a, l);
            self.fix(b);
            b
        }
    }

    /// Adds an element that is not present.
    pub fn insert(&mut self, score: f64, member: Bytes) {
        let priority = self.next_priority();
        let node = Node { score, member, priority, left: NIL, right: NIL, size: 1 };
        let at = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        let key_score = score;
        let key = self.nodes[at as usize].member.clone();
        let (l, r) = self.split(self.root, &|s, m| cmp((s, m), (key_score, &key)) == Ordering::Less);
        let l = self.merge(l, at);
        self.root = self.merge(l, r);
    }

    /// Removes an element; true if it was there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (l, r) = self.split(self.root, &|s, m| cmp((s, m), (score, member)) == Ordering::Less);
        let (mid, r) = self.split(r, &|s, m| cmp((s, m), (score, member)) != Ordering::Greater);
        let found = mid != NIL;
        if found {
            self.nodes[mid as usize].member = Bytes::new(b"");
            self.free.push(mid);
        }
        let l = self.merge(l, r);
        self.root = l;
        if self.root == NIL {
            self.nodes.clear();
            self.free.clear();
        }
        found
    }

    /// How many elements come before the bound: those for which `before`
    /// is true (it must be true for a prefix of the order).
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut n = 0;
        while t != NIL {
            let node = &self.nodes[t as usize];
            if before(node.score, &node.member) {
                n += self.size(node.left) + 1;
                t = node.right;
            } else {
                t = node.left;
            }
        }
        n
    }

    /// The rank (from 0) of a present element.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.count_before(|s, m| cmp((s, m), (score, member)) == Ordering::Less)
    }

    /// The element at `rank` (from 0).
    pub fn nth(&self, mut rank: usize) -> Option<(f64, &Bytes)> {
        let mut t = self.root;
        while t != NIL {
            let node = &self.nodes[t as usize];
            let left = self.size(node.left);
            match rank.cmp(&left) {
                Ordering::Less => t = node.left,
                Ordering::Equal => return Some((node.score, &node.member)),
                Ordering::Greater => {
                    rank -= left + 1;
                    t = node.right;
                }
            }
        }
        None
    }

    /// Every element in order.
    pub fn iter(&self) -> impl Iterator<Item = (f64, &Bytes)> + '_ {
        let mut stack = Vec::new();
        let mut t = self.root;
        std::iter::from_fn(move || {
            while t != NIL {
                stack.push(t);
                t = self.nodes[t as usize].left;
            }
            let top = stack.pop()?;
            let node = &self.nodes[top as usize];
            t = node.right;
            Some((node.score, &node.member))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ranks_and_positions_agree_with_a_sorted_vector(ops in proptest::collection::vec((any::<bool>(), 0u8..40, -3i8..3), 1..300)) {
            let mut order = Order::default();
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for (add, m, s) in ops {
                let member = vec![b'a' + m % 26, m];
                let score = f64::from(s);
                let at = model.iter().position(|(_, x)| *x == member);
                if add && at.is_none() {
                    order.insert(score, Bytes::new(&member));
                    model.push((score, member));
                } else if let (false, Some(i)) = (add, at) {
                    let (s, x) = model.remove(i);
                    prop_assert!(order.remove(s, &x));
                }
                model.sort_by(|a, b| cmp((a.0, &a.1), (b.0, &b.1)));
                prop_assert_eq!(order.len(), model.len());
                for (i, (s, x)) in model.iter().enumerate() {
                    prop_assert_eq!(order.rank(*s, x), i);
                    let (ns, nx) = order.nth(i).unwrap();
                    prop_assert_eq!((ns, &nx[..]), (*s, &x[..]));
                }
                let all: Vec<(f64, Vec<u8>)> = order.iter().map(|(s, m)| (s, m.to_vec())).collect();
                prop_assert_eq!(&all, &model);
                prop_assert!(!order.remove(99.0, b"none"));
            }
        }
    }
}
