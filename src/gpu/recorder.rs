//! The recorder: dispatches go into one command encoder and one compute pass and are submitted
//! in batches, so a training step costs a handful of submits. Kernel parameters live in one
//! uniform arena per batch (one 256-byte slot per dispatch, bound with a dynamic offset),
//! written with a single queue write right before the batch is submitted. Bind groups are
//! cached by the resources they bind, so a step that binds the same pooled buffers as the
//! step before creates none.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use super::Bind;

/// Per-op GPU time from timestamp queries written inside the pass around every dispatch.
pub(crate) struct Profiler {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    names: Vec<String>,
    period_ns: f64,
    pub(crate) totals: HashMap<String, (f64, u64)>,
    /// Device time between consecutive kernels of one batch (end of kernel i to start of
    /// kernel i+1), summed, and how many such gaps.
    pub(crate) gap_ns: f64,
    pub(crate) gaps: u64,
}

impl Profiler {
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue, slots: usize) -> Profiler {
        let n = 2 * slots as u32;
        let bytes = n as u64 * 8;
        Profiler {
            queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("profiler"),
                ty: wgpu::QueryType::Timestamp,
                count: n,
            }),
            resolve: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("profiler resolve"),
                size: bytes,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            staging: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("profiler staging"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            names: Vec::new(),
            period_ns: queue.get_timestamp_period() as f64,
            totals: HashMap::new(),
            gap_ns: 0.0,
            gaps: 0,
        }
    }
}

/// Main-thread time spent in the device layer since the device was opened, by kind; read
/// with `Gpu::host_clocks`. Kept always: two `Instant::now()` per dispatch (tens of ns, on a
/// dispatch that costs tens of µs) and a few per submit and wait.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HostClocks {
    /// Recording: validating a launch, finding its pipeline and bind group, writing its
    /// parameters and encoding the dispatch; copies, clears and queue writes (uploads).
    pub record: Duration,
    /// Ending the pass, writing the parameter arena and finishing the command encoder.
    pub finish: Duration,
    /// Inside `queue.submit`. A driver may run the work in this call (then it is device
    /// time on the main thread) or hand it to another thread.
    pub submit: Duration,
    /// Blocked until the device has finished (sync, fences, readbacks, profiler reads).
    pub wait: Duration,
}

impl HostClocks {
    /// The time from `earlier` to `self`, kind by kind.
    pub fn since(&self, earlier: &HostClocks) -> HostClocks {
        HostClocks {
            record: self.record.saturating_sub(earlier.record),
            finish: self.finish.saturating_sub(earlier.finish),
            submit: self.submit.saturating_sub(earlier.submit),
            wait: self.wait.saturating_sub(earlier.wait),
        }
    }
}

pub(crate) const MAX_PARAM_WORDS: usize = 64;

/// Bind groups kept per generation of the cache (see `GroupCache`). A training step of the
/// largest model binds a few thousand distinct groups, so a step's groups fit in one.
const GROUPS_PER_GENERATION: usize = 16_384;

/// One resource of a bind group, by identity (a wgpu handle compares by its id).
#[derive(Clone, PartialEq, Eq, Hash)]
enum Res {
    Buffer(wgpu::Buffer, u64, u64),
    Texture(wgpu::TextureView),
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    layout: wgpu::BindGroupLayout,
    res: Vec<Res>,
}

/// Bind groups by (layout, bound resources). The uniform at binding 0 is the arena with a
/// dynamic offset, so it is not part of the key. Two generations: lookups search the current
/// one, then the previous one (moving a hit forward); when the current one is full it becomes
/// the previous one and the old previous one is dropped. The cache so never holds more than
/// two generations, and a group not used for a whole generation is released.
/// What a group keeps alive is harmless: pooled buffers and textures (and the views the
/// texture pool keeps with them) live as long as the device, and a pooled buffer handed to
/// another tensor is still the same memory with the same binding.
#[derive(Default)]
struct GroupCache {
    current: HashMap<GroupKey, wgpu::BindGroup>,
    previous: HashMap<GroupKey, wgpu::BindGroup>,
    created: u64,
}

impl GroupCache {
    fn get(
        &mut self,
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        arena: &wgpu::Buffer,
        slot: u64,
        binds: &[Bind],
    ) -> wgpu::BindGroup {
        let key = GroupKey {
            layout: layout.clone(),
            res: binds
                .iter()
                .map(|b| match b {
                    Bind::Buffer {
                        buffer,
                        offset,
                        size,
                    } => Res::Buffer((*buffer).clone(), *offset, *size),
                    Bind::Texture(v) => Res::Texture((*v).clone()),
                })
                .collect(),
        };
        if let Some(g) = self.current.get(&key) {
            return g.clone();
        }
        let group = match self.previous.remove(&key) {
            Some(g) => g,
            None => {
                self.created += 1;
                create_group(device, layout, arena, slot, binds)
            }
        };
        if self.current.len() >= GROUPS_PER_GENERATION {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, group.clone());
        group
    }
}

fn create_group(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    arena: &wgpu::Buffer,
    slot: u64,
    binds: &[Bind],
) -> wgpu::BindGroup {
    let mut entries = Vec::with_capacity(binds.len() + 1);
    entries.push(wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: arena,
            offset: 0,
            size: NonZeroU64::new(slot),
        }),
    });
    for (i, b) in binds.iter().enumerate() {
        let resource = match b {
            Bind::Buffer {
                buffer,
                offset,
                size,
            } => wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset: *offset,
                size: NonZeroU64::new(*size),
            }),
            Bind::Texture(view) => wgpu::BindingResource::TextureView(view),
        };
        entries.push(wgpu::BindGroupEntry {
            binding: i as u32 + 1,
            resource,
        });
    }
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout,
        entries: &entries,
    })
}

/// Records dispatches into one command encoder and one open compute pass per batch; the pass
/// ends only for a copy (buffer or texture), a clear or the submit. The profiler writes
/// timestamps inside the pass around each dispatch (TIMESTAMP_QUERY_INSIDE_PASSES, which `Gpu::set_profiling` requires),
/// so a profiled step is recorded exactly like an unprofiled one.
pub(crate) struct Recorder {
    // Declared before `encoder`: an open pass must end before its encoder is used or dropped.
    pass: Option<wgpu::ComputePass<'static>>,
    encoder: Option<wgpu::CommandEncoder>,
    arena: wgpu::Buffer,
    arena_data: Vec<u8>,
    slot: u64,
    slots: usize,
    used: usize,
    groups: GroupCache,
    pub(crate) total_dispatches: u64,
    pub(crate) clocks: HostClocks,
    pub(crate) profiler: Option<Profiler>,
    /// The index of the newest submission (for `Gpu::fence` / `Gpu::wait_for`).
    pub(crate) last_submission: Option<wgpu::SubmissionIndex>,
}

impl Recorder {
    pub(crate) fn new(device: &wgpu::Device, slot: u64, slots: usize) -> Recorder {
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("param arena"),
            size: slot * slots as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Recorder {
            pass: None,
            encoder: None,
            arena,
            arena_data: vec![0; slot as usize * slots],
            slot,
            slots,
            used: 0,
            groups: GroupCache::default(),
            total_dispatches: 0,
            clocks: HostClocks::default(),
            profiler: None,
            last_submission: None,
        }
    }

    /// The encoder, with any open pass ended (for copies, clears and the submit).
    fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("step"),
            })
        })
    }

    /// Bytes of one parameter slot (the uniform binding's size).
    pub(crate) fn slot_bytes(&self) -> u64 {
        self.slot
    }

    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// Bind groups created so far (cache misses).
    pub(crate) fn groups_created(&self) -> u64 {
        self.groups.created
    }

    pub(crate) fn pending(&self) -> bool {
        self.encoder.is_some()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.used >= self.slots
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch(
        &mut self,
        op: &str,
        entry: &str,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pipeline: &wgpu::ComputePipeline,
        layout: &wgpu::BindGroupLayout,
        params: &[u32],
        binds: &[Bind],
        wg: [u32; 3],
    ) {
        if self.is_full() {
            self.submit(device, queue);
        }
        let off = self.used as u64 * self.slot;
        let bytes: &[u8] = bytemuck::cast_slice(params);
        let o = off as usize;
        self.arena_data[o..o + bytes.len()].copy_from_slice(bytes);
        self.arena_data[o + bytes.len()..o + self.slot as usize].fill(0);
        self.used += 1;
        let group = self
            .groups
            .get(device, layout, &self.arena, self.slot, binds);
        let slot = self.used as u32 - 1;
        if let Some(p) = self.profiler.as_mut() {
            p.names.push(if op == entry {
                op.to_string()
            } else {
                format!("{op} [{entry}]")
            });
        }
        if self.pass.is_none() {
            let enc = self.encoder.get_or_insert_with(|| {
                device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("step"),
                })
            });
            let pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: None,
            });
            self.pass = Some(pass.forget_lifetime());
        }
        let pass = self.pass.as_mut().expect("opened above");
        if let Some(p) = self.profiler.as_ref() {
            pass.write_timestamp(&p.queries, 2 * slot);
        }
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &group, &[off as u32]);
        pass.dispatch_workgroups(wg[0], wg[1], wg[2]);
        if let Some(p) = self.profiler.as_ref() {
            pass.write_timestamp(&p.queries, 2 * slot + 1);
        }
        self.total_dispatches += 1;
    }

    pub(crate) fn copy(
        &mut self,
        device: &wgpu::Device,
        src: &wgpu::Buffer,
        so: u64,
        dst: &wgpu::Buffer,
        d_o: u64,
        n: u64,
    ) {
        let t0 = Instant::now();
        self.encoder(device)
            .copy_buffer_to_buffer(src, so, dst, d_o, n);
        self.clocks.record += t0.elapsed();
    }

    pub(crate) fn copy_to_texture(
        &mut self,
        device: &wgpu::Device,
        src: wgpu::TexelCopyBufferInfo,
        dst: wgpu::TexelCopyTextureInfo,
        size: wgpu::Extent3d,
    ) {
        let t0 = Instant::now();
        self.encoder(device).copy_buffer_to_texture(src, dst, size);
        self.clocks.record += t0.elapsed();
    }

    pub(crate) fn clear(&mut self, device: &wgpu::Device, buf: &wgpu::Buffer, off: u64, n: u64) {
        let t0 = Instant::now();
        self.encoder(device).clear_buffer(buf, off, Some(n));
        self.clocks.record += t0.elapsed();
    }

    pub(crate) fn submit(&mut self, device: &wgpu::Device, queue: &wgpu::Queue) {
        let t0 = Instant::now();
        self.pass = None;
        if let Some(mut enc) = self.encoder.take() {
            if self.used > 0 {
                queue.write_buffer(
                    &self.arena,
                    0,
                    &self.arena_data[..self.used * self.slot as usize],
                );
            }
            let timed = self
                .profiler
                .as_ref()
                .map(|p| p.names.len() as u32)
                .unwrap_or(0);
            if let (Some(p), true) = (self.profiler.as_ref(), timed > 0) {
                enc.resolve_query_set(&p.queries, 0..2 * timed, &p.resolve, 0);
                enc.copy_buffer_to_buffer(&p.resolve, 0, &p.staging, 0, 16 * timed as u64);
            }
            let commands = enc.finish();
            let t1 = Instant::now();
            self.last_submission = Some(queue.submit(Some(commands)));
            let t2 = Instant::now();
            self.clocks.finish += t1 - t0;
            self.clocks.submit += t2 - t1;
            self.used = 0;
            if let (Some(p), true) = (self.profiler.as_mut(), timed > 0) {
                self.clocks.wait += read_profile(device, p, timed);
            }
        } else {
            self.clocks.finish += t0.elapsed();
        }
    }
}

/// Wait for the batch, read its timestamps and add them to the per-op totals and the gaps;
/// returns the time spent waiting.
fn read_profile(device: &wgpu::Device, p: &mut Profiler, timed: u32) -> Duration {
    let slice = p.staging.slice(0..16 * timed as u64);
    slice.map_async(wgpu::MapMode::Read, |_| {});
    let t0 = Instant::now();
    let polled = device.poll(wgpu::PollType::wait_indefinitely());
    let waited = t0.elapsed();
    if polled.is_ok() {
        if let Ok(view) = slice.get_mapped_range() {
            let ts: &[u64] = bytemuck::cast_slice(&view);
            for (i, name) in p.names.iter().enumerate() {
                let ns = ts[2 * i + 1].saturating_sub(ts[2 * i]) as f64 * p.period_ns;
                let e = p.totals.entry(name.clone()).or_insert((0.0, 0));
                e.0 += ns;
                e.1 += 1;
                if i > 0 {
                    p.gap_ns += ts[2 * i].saturating_sub(ts[2 * i - 1]) as f64 * p.period_ns;
                    p.gaps += 1;
                }
            }
        }
        p.staging.unmap();
    }
    p.names.clear();
    waited
}
