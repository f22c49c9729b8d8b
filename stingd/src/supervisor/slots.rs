//! Which caller's prompt each llama-server slot holds, so that one caller's prompt cache never
//! serves another's request. llama-server keeps each slot's last prompt and reuses its common
//! prefix for the next request in that slot; a caller whose request lands on a slot another
//! filled could tell, by the answer's `timings` (cached tokens) or its speed, whether their text
//! began like the other's: a guessing oracle on someone else's documents and chats. So every
//! request is pinned to a slot (`id_slot`), and the cache is used (`cache_prompt`) only when the
//! slot's last prompt was the same caller's. A slot becomes a caller's only once llama-server has
//! answered the caller's request from it ([`Slots::release`] with `served`): a request that
//! failed before llama-server took its prompt (refused, cut off) may have left the previous
//! caller's prompt in the slot, so afterwards the slot is nobody's.
//!
//! A slot is busy while a lease holds it; a request with no free slot waits in the supervisor's
//! queue. A free slot is picked in this order: the one with the caller's own prompt, one never
//! used, the one used longest ago.

use std::sync::Arc;
use std::time::Instant;

/// One llama-server slot.
#[derive(Clone, Debug, Default)]
struct Slot {
    busy: bool,
    /// Whose prompt the slot holds; `None` when nobody's is known (new process, or a request
    /// that may have used it without a pin).
    holder: Option<Arc<str>>,
    last_used: Option<Instant>,
}

/// A slot taken for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    /// llama-server's `id_slot`.
    pub id: u32,
    /// The slot holds this caller's last prompt: `cache_prompt` may reuse it.
    pub warm: bool,
}

/// The slots of one llama-server process.
#[derive(Clone, Debug)]
pub struct Slots {
    slots: Vec<Slot>,
}

impl Slots {
    /// `parallel` slots, none holding anyone's prompt (a new process).
    pub fn new(parallel: u32) -> Self {
        Self { slots: vec![Slot::default(); parallel.max(1) as usize] }
    }

    pub fn free(&self) -> usize {
        self.slots.iter().filter(|s| !s.busy).count()
    }

    /// A free slot for `caller`'s request. It holds `caller`'s prompt only once the request is
    /// served (see [`Self::release`]).
    pub fn take(&mut self, caller: &Arc<str>) -> Option<Taken> {
        let (id, slot) = self
            .slots
            .iter_mut()
            .enumerate()
            .filter(|(_, s)| !s.busy)
            .min_by_key(|(_, s)| (s.holder.as_ref() != Some(caller), s.last_used.is_some(), s.last_used))?;
        let warm = slot.holder.as_ref() == Some(caller);
        slot.busy = true;
        slot.last_used = Some(Instant::now());
        Some(Taken { id: id as u32, warm })
    }

    /// A free slot holds `caller`'s prompt.
    pub fn holds_free(&self, caller: &Arc<str>) -> bool {
        self.slots.iter().any(|s| !s.busy && s.holder.as_ref() == Some(caller))
    }

    /// A place for a request llama-server may put in any slot (or several): it counts as one
    /// busy slot, and from now on no slot's prompt is taken to be anyone's.
    pub fn take_unpinned(&mut self) -> Option<u32> {
        let id = self.slots.iter().position(|s| !s.busy)?;
        self.slots[id].busy = true;
        self.slots[id].last_used = Some(Instant::now());
        self.forget_holders();
        Some(id as u32)
    }

    /// The request in slot `id` is over. `served` by llama-server for `caller`: the slot now
    /// holds that caller's prompt. Otherwise whose prompt it holds is not known.
    pub fn release(&mut self, id: u32, caller: Option<&Arc<str>>, served: bool) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            slot.busy = false;
            slot.holder = if served { caller.cloned() } else { None };
        }
    }

    /// Nobody's prompt is known to be anywhere (an unpinned request ran): the next request in
    /// every slot starts cold.
    pub fn forget_holders(&mut self) {
        self.slots.iter_mut().for_each(|s| s.holder = None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str) -> Arc<str> {
        name.into()
    }

    #[test]
    fn a_caller_gets_its_own_slot_back_warm_and_never_another_callers_warm() {
        let (ann, bob) = (caller("user:ann"), caller("user:bob"));
        let mut slots = Slots::new(2);
        let first = slots.take(&ann).unwrap();
        assert!(!first.warm, "a new process holds nobody's prompt");
        slots.release(first.id, Some(&ann), true);
        let other = slots.take(&bob).unwrap();
        assert_ne!(other.id, first.id, "an unused slot before ann's");
        assert!(!other.warm);
        slots.release(other.id, Some(&bob), true);
        let again = slots.take(&ann).unwrap();
        assert_eq!(again, Taken { id: first.id, warm: true });
        slots.release(again.id, Some(&ann), true);
    }

    #[test]
    fn when_the_callers_slot_is_busy_it_gets_another_cold_and_a_full_process_has_none() {
        let (ann, bob, cy) = (caller("user:ann"), caller("user:bob"), caller("user:cy"));
        let mut slots = Slots::new(2);
        let ann_slot = slots.take(&ann).unwrap();
        let bob_slot = slots.take(&bob).unwrap();
        assert_eq!(slots.free(), 0);
        assert_eq!(slots.take(&cy), None, "the request waits");
        slots.release(bob_slot.id, Some(&bob), true);
        // Bob's slot now holds Bob's prompt: Cy gets it, cold.
        assert_eq!(slots.take(&cy), Some(Taken { id: bob_slot.id, warm: false }));
        slots.release(ann_slot.id, Some(&ann), true);
        slots.release(bob_slot.id, Some(&cy), true);
        // And Bob, coming back, finds his slot overwritten by Cy: cold too.
        let bob_again = slots.take(&bob).unwrap();
        assert!(!bob_again.warm);
    }

    #[test]
    fn a_request_that_was_not_served_leaves_its_slot_nobodys() {
        // Bob's prompt is in the only slot; Ann's request fails before llama-server takes it.
        let (ann, bob) = (caller("user:ann"), caller("user:bob"));
        let mut slots = Slots::new(1);
        let bobs = slots.take(&bob).unwrap();
        slots.release(bobs.id, Some(&bob), true);
        let failed = slots.take(&ann).unwrap();
        slots.release(failed.id, Some(&ann), false);
        assert!(!slots.take(&ann).unwrap().warm, "Ann must not reuse what may still be Bob's");
    }

    #[test]
    fn during_and_after_an_unpinned_request_every_slot_starts_cold() {
        let ann = caller("user:ann");
        let mut slots = Slots::new(2);
        let taken = slots.take(&ann).unwrap();
        slots.release(taken.id, Some(&ann), true);
        assert!(slots.holds_free(&ann));
        let unpinned = slots.take_unpinned().unwrap();
        assert!(!slots.holds_free(&ann));
        let during = slots.take(&ann).unwrap();
        assert!(!during.warm, "the unpinned request may be in any slot");
        slots.release(during.id, Some(&ann), true);
        slots.release(unpinned, None, true);
        slots.forget_holders();
        assert!(!slots.take(&ann).unwrap().warm);
    }
}
