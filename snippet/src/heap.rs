//! The shipped module's heap: a bump region that empties itself.
//!
//! Everything the snippet allocates lives for one call from the loader (the
//! arguments, the strings it builds and the ones it returns, which the glue
//! frees), except what `start` keeps, which is allocated first and stays below
//! the mark `keep` sets. So whenever the last live allocation above the mark is
//! freed, the region starts over at the mark. A general allocator's free list
//! would be ≈ 250 B brotli of the download. If a call ever traps half-way, the
//! count stays above zero and the region only grows: a leak, never reuse of
//! memory still in use.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

const PAGE: usize = 65_536;

pub struct Heap {
    next: Cell<usize>,
    end: Cell<usize>,
    mark: Cell<usize>,
    live: Cell<usize>,
}

// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl Sync for Heap {}

impl Heap {
    pub const fn new() -> Self {
        Heap { next: Cell::new(0), end: Cell::new(0), mark: Cell::new(0), live: Cell::new(0) }
    }

    /// Keeps everything allocated so far; resets return to here from now on.
    pub fn keep(&self) {
        self.mark.set(self.next.get());
        self.live.set(0);
    }
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.end.get() == 0 {
            // Memory past its current size is the module's own: start there.
            let start = wasm32::memory_size(0) * PAGE;
            self.next.set(start);
            self.end.set(start);
            self.mark.set(start);
        }
        let align = layout.align() - 1;
        let Some(next) = self.next.get().checked_add(align).map(|p| p & !align) else { wasm32::unreachable() };
        let Some(after) = next.checked_add(layout.size()) else { wasm32::unreachable() };
        if after > self.end.get() {
            let pages = (after - self.end.get()).div_ceil(PAGE);
            // The region must go on where it ended: this is the module's only
            // allocator, so nobody else grows memory; if that ever changes, trap.
            if wasm32::memory_grow(0, pages) != self.end.get() / PAGE {
                wasm32::unreachable()
            }
            self.end.set(self.end.get() + pages * PAGE);
        }
        self.next.set(after);
        self.live.set(self.live.get() + 1);
        next as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _: Layout) {
        // What `start` kept is never handed back.
        if (ptr as usize) < self.mark.get() {
            return;
        }
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.next.set(self.mark.get());
        }
    }
}
