//! A bump allocator: allocation moves a pointer up linear memory, from the
//! end of the module's static data (`__heap_base`, set by the linker),
//! growing memory only when the initial pages are used up; nothing is
//! freed. Every message starts from a fresh (or reset) instance, so its
//! memory goes away with it — this is small and fast, and the 16 MiB
//! memory cap (and the gas for each page) bounds what a message can take.
//! Starting at `__heap_base` rather than at the end of memory matters: a
//! message that fits in its initial pages pays no page growth, and the VM
//! can reuse its instance (grown instances are dropped).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

const PAGE: usize = 65_536;

pub(crate) struct Bump {
    next: UnsafeCell<usize>,
}

// Contracts are single-threaded.
unsafe impl Sync for Bump {}

unsafe extern "C" {
    /// The first byte after the stack and static data, defined by wasm-ld.
    static __heap_base: u8;
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let next = unsafe { &mut *self.next.get() };
        if *next == 0 {
            *next = &raw const __heap_base as usize;
        }
        let start = (*next + layout.align() - 1) & !(layout.align() - 1);
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        let have = core::arch::wasm32::memory_size(0) * PAGE;
        if end > have {
            let pages = (end - have).div_ceil(PAGE);
            if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
        }
        *next = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    next: UnsafeCell::new(0),
};
