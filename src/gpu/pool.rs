//! Buffer pool: storage buffers bucketed into size classes (powers of two with four steps
//! each, so at most 25% waste) and reused when their owner drops them. A training step that
//! allocates the same shapes every step therefore stops creating buffers after its first
//! step; `PoolStats` lets a test check that.
//!
//! A free list hands out its oldest buffer (the lowest creation serial), not the one freed
//! last: which buffers are free when a step starts is the same every step, so the step's
//! allocations get the same buffers every step, and the recorder's bind groups (cached by
//! buffer identity) are all hits from the second step on. With last-in-first-out lists the
//! assignment is permuted each step by the order tensors happen to drop, and a tiny model's
//! step created a new bind group for one dispatch in four.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::{Rc, Weak};

const MIN_CLASS: u64 = 256;

/// Counters of the pool, for tests and `bench` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers ever created.
    pub created: u64,
    /// Bytes of all buffers ever created (none are destroyed while the device lives).
    pub bytes: u64,
    /// Buffers currently handed out.
    pub live: u64,
    /// Buffers waiting in free lists.
    pub free: u64,
}

#[derive(Default)]
pub(crate) struct BufferPool {
    /// Free buffers by (size class, staging), each list by creation serial.
    free: HashMap<(u64, bool), BTreeMap<u64, wgpu::Buffer>>,
    stats: PoolStats,
}

/// Round up to the pool's size class.
pub(crate) fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(MIN_CLASS);
    let p = b.next_power_of_two();
    if p <= 1024 {
        return p;
    }
    let step = p / 8; // four classes between p/2 and p
    b.div_ceil(step) * step
}

impl BufferPool {
    pub(crate) fn stats(&self) -> PoolStats {
        self.stats
    }

    fn take(
        pool: &Rc<RefCell<BufferPool>>,
        device: &wgpu::Device,
        bytes: u64,
        staging: bool,
    ) -> PooledBuffer {
        let class = size_class(bytes);
        let mut p = pool.borrow_mut();
        let (serial, buf) = match p
            .free
            .get_mut(&(class, staging))
            .and_then(|v| v.pop_first())
        {
            Some(b) => {
                p.stats.free -= 1;
                b
            }
            None => {
                let serial = p.stats.created;
                p.stats.created += 1;
                p.stats.bytes += class;
                let usage = if staging {
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST
                } else {
                    wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST
                };
                let buf = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(if staging { "staging" } else { "pooled" }),
                    size: class,
                    usage,
                    mapped_at_creation: false,
                });
                (serial, buf)
            }
        };
        p.stats.live += 1;
        PooledBuffer {
            buf: Some(buf),
            serial,
            class,
            staging,
            pool: Rc::downgrade(pool),
        }
    }

    pub(crate) fn alloc(
        pool: &Rc<RefCell<BufferPool>>,
        device: &wgpu::Device,
        bytes: u64,
    ) -> PooledBuffer {
        Self::take(pool, device, bytes, false)
    }

    pub(crate) fn alloc_staging(
        pool: &Rc<RefCell<BufferPool>>,
        device: &wgpu::Device,
        bytes: u64,
    ) -> PooledBuffer {
        Self::take(pool, device, bytes, true)
    }
}

/// A buffer on loan from the pool; returned to its free list on drop.
pub struct PooledBuffer {
    buf: Option<wgpu::Buffer>,
    serial: u64,
    class: u64,
    staging: bool,
    pool: Weak<RefCell<BufferPool>>,
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buf.as_ref().expect("buffer present until drop")
    }
    /// Bytes actually allocated (the size class).
    pub fn capacity(&self) -> u64 {
        self.class
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let (Some(buf), Some(pool)) = (self.buf.take(), self.pool.upgrade()) {
            let mut p = pool.borrow_mut();
            p.stats.live -= 1;
            p.stats.free += 1;
            p.free
                .entry((self.class, self.staging))
                .or_default()
                .insert(self.serial, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_and_waste_at_most_a_quarter() {
        for b in [
            1u64,
            255,
            256,
            257,
            1000,
            1025,
            4097,
            1 << 20,
            (1 << 20) + 1,
            150_994_944,
        ] {
            let c = size_class(b);
            assert!(c >= b, "{b} -> {c}");
            assert!(
                b <= 1024 || (c as f64) <= b as f64 * 1.25 + 1.0,
                "{b} -> {c}"
            );
            assert_eq!(c % 4, 0);
        }
    }
}
