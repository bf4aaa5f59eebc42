//! A counting semaphore for blocking threads.

use std::sync::{Condvar, Mutex};

pub(crate) struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

pub(crate) struct Permit<'a>(&'a Slots);

impl Slots {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot; it is returned when the permit drops.
    pub(crate) fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}
