//! How many threads perfgate may use: rayon's global pool, started on first use; 1 when no
//! thread can start (a process limit in a container, a busy CI runner's cgroup), so that the
//! parallel reader and the parallel sort stay on the caller's thread instead of rayon
//! panicking ("The global thread pool has not been initialized").
//!
//! Every use of rayon asks here first.

use std::sync::OnceLock;

/// The threads of rayon's global pool (`RAYON_NUM_THREADS` sets them; by default one per
/// core), or 1 when the pool could not start: then rayon must not be called.
pub fn available() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| match rayon::ThreadPoolBuilder::new().build_global() {
        Ok(()) => rayon::current_num_threads(),
        // The pool is built only here, so an error is a thread that could not start.
        Err(_) => 1,
    })
}
