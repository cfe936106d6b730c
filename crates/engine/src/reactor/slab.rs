//! A loop's connections, by slot.
//!
//! A slot's number is the connection's poller token and part of its
//! `ConnId`, with the slot's generation: closing a connection bumps the
//! generation, so that ids of the slot's earlier tenants miss.

use std::ops::Range;

use crate::conn::Conn;
use crate::service::{ConnId, Service};

/// A slab entry: a connection, or a hole waiting for reuse.
struct Slot<S: Service> {
    /// Bumped on every close, so that old ids miss.
    generation: u32,
    conn: Option<Conn<S>>,
}

/// Connections by slot, with the holes kept for reuse.
pub struct Slab<S: Service> {
    /// The owning I/O loop's index, part of every id.
    io_loop: usize,
    slots: Vec<Slot<S>>,
    /// Slots without a connection.
    free: Vec<u32>,
}

impl<S: Service> Slab<S> {
    pub fn new(io_loop: usize) -> Self {
        Slab { io_loop, slots: Vec::new(), free: Vec::new() }
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Every slot number, with or without a connection.
    pub fn slots(&self) -> Range<u32> {
        0..self.slots.len() as u32
    }

    pub fn get(&self, slot: u32) -> Option<&Conn<S>> {
        self.slots.get(slot as usize).and_then(|s| s.conn.as_ref())
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Conn<S>> {
        self.slots.get_mut(slot as usize).and_then(|s| s.conn.as_mut())
    }

    /// The slot of the connection `id` names, if it is still open.
    pub fn slot_of(&self, id: ConnId) -> Option<u32> {
        let slot = id.slot();
        let s = self.slots.get(slot as usize)?;
        (s.conn.is_some() && self.id(slot, s.generation) == id).then_some(slot)
    }

    pub fn generation(&self, slot: u32) -> u32 {
        self.slots[slot as usize].generation
    }

    /// Takes a free slot for a new connection: its number and the id the
    /// connection will have. Give it back with `release` if no connection
    /// moves in.
    pub fn vacant(&mut self) -> (u32, ConnId) {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot { generation: 0, conn: None });
                (self.slots.len() - 1) as u32
            }
        };
        (slot, self.id(slot, self.slots[slot as usize].generation))
    }

    /// Gives back a slot from `vacant` that no connection moved into.
    pub fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }

    /// Moves a connection into a slot from `vacant`.
    pub fn insert(&mut self, slot: u32, conn: Conn<S>) {
        self.slots[slot as usize].conn = Some(conn);
    }

    /// Takes the connection out of its slot, which its id no longer finds.
    pub fn remove(&mut self, slot: u32) -> Option<Conn<S>> {
        let s = &mut self.slots[slot as usize];
        let conn = s.conn.take()?;
        s.generation = s.generation.wrapping_add(1) & 0xff_ffff;
        self.free.push(slot);
        Some(conn)
    }

    /// The open connections, with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Conn<S>)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.conn.as_ref().map(|c| (i as u32, c)))
    }

    pub fn conns_mut(&mut self) -> impl Iterator<Item = &mut Conn<S>> {
        self.slots.iter_mut().filter_map(|s| s.conn.as_mut())
    }

    fn id(&self, slot: u32, generation: u32) -> ConnId {
        ConnId::new(self.io_loop, slot, generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::tests::conn;

    #[test]
    fn a_closed_connections_id_misses_the_slots_next_tenant() {
        let mut slab = Slab::new(3);
        let (slot, first) = slab.vacant();
        slab.insert(slot, conn());
        assert_eq!(slab.slot_of(first), Some(slot));
        assert_eq!(slab.len(), 1);
        assert!(slab.remove(slot).is_some());
        assert_eq!(slab.len(), 0);
        assert_eq!(slab.slot_of(first), None);
        let (again, second) = slab.vacant();
        assert_eq!(again, slot, "the hole is reused");
        assert_ne!(second, first);
        slab.insert(again, conn());
        assert_eq!(slab.slot_of(first), None);
        assert_eq!(slab.slot_of(second), Some(slot));
    }

    #[test]
    fn a_released_slot_goes_back_without_a_new_generation() {
        let mut slab = Slab::<crate::task::tests::Lines>::new(0);
        let (slot, id) = slab.vacant();
        slab.release(slot);
        assert_eq!(slab.len(), 0);
        assert_eq!(slab.vacant(), (slot, id));
    }

    #[test]
    fn iteration_skips_the_holes() {
        let mut slab = Slab::new(0);
        for _ in 0..3 {
            let (slot, _) = slab.vacant();
            slab.insert(slot, conn());
        }
        slab.remove(1);
        assert_eq!(slab.iter().map(|(slot, _)| slot).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(slab.conns_mut().count(), 2);
        assert_eq!(slab.slots(), 0..3);
    }
}
