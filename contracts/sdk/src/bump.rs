//! A bump allocator: allocation moves a pointer up linear memory, growing
//! it as needed; nothing is freed. An instance lives for one message, so
//! its memory goes away with it — this is small and fast, and the 16 MiB
//! memory cap (and the gas for each page) bounds what a message can take.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

const PAGE: usize = 65_536;

pub struct Bump {
    next: UnsafeCell<usize>,
}

// Contracts are single-threaded.
unsafe impl Sync for Bump {}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let next = unsafe { &mut *self.next.get() };
        if *next == 0 {
            *next = core::arch::wasm32::memory_size(0) * PAGE;
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
