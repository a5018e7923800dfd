//! The recorder: dispatches go into one command encoder and are submitted in batches, so a
//! training step costs a handful of submits. Kernel parameters live in one uniform arena per
//! batch (one 256-byte slot per dispatch), written with a single queue write right before
//! the batch is submitted.

use std::collections::HashMap;
use std::num::NonZeroU64;

use super::Bind;

/// Per-op GPU time from timestamp queries written around every dispatch (when enabled).
pub(crate) struct Profiler {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    names: Vec<String>,
    period_ns: f64,
    pub(crate) totals: HashMap<String, (f64, u64)>,
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
        }
    }
}

pub(crate) const MAX_PARAM_WORDS: usize = 64;

pub(crate) struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    arena: wgpu::Buffer,
    arena_data: Vec<u8>,
    slot: u64,
    slots: usize,
    used: usize,
    pub(crate) total_dispatches: u64,
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
            encoder: None,
            arena,
            arena_data: vec![0; slot as usize * slots],
            slot,
            slots,
            used: 0,
            total_dispatches: 0,
            profiler: None,
            last_submission: None,
        }
    }

    fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("step"),
            })
        })
    }

    pub(crate) fn slots(&self) -> usize {
        self.slots
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

        let mut entries = Vec::with_capacity(binds.len() + 1);
        entries.push(wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset: off,
                size: NonZeroU64::new(self.slot),
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
        let layout = pipeline.get_bind_group_layout(0);
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &layout,
            entries: &entries,
        });
        let slot = self.used as u32 - 1;
        if let Some(p) = self.profiler.as_mut() {
            p.names.push(if op == entry {
                op.to_string()
            } else {
                format!("{op} [{entry}]")
            });
        }
        let enc = self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("step"),
            })
        });
        let timestamp_writes = self
            .profiler
            .as_ref()
            .map(|p| wgpu::ComputePassTimestampWrites {
                query_set: &p.queries,
                beginning_of_pass_write_index: Some(2 * slot),
                end_of_pass_write_index: Some(2 * slot + 1),
            });
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(wg[0], wg[1], wg[2]);
        drop(pass);
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
        self.encoder(device)
            .copy_buffer_to_buffer(src, so, dst, d_o, n);
    }

    pub(crate) fn clear(&mut self, device: &wgpu::Device, buf: &wgpu::Buffer, off: u64, n: u64) {
        self.encoder(device).clear_buffer(buf, off, Some(n));
    }

    pub(crate) fn submit(&mut self, device: &wgpu::Device, queue: &wgpu::Queue) {
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
            self.last_submission = Some(queue.submit(Some(enc.finish())));
            self.used = 0;
            if let (Some(p), true) = (self.profiler.as_mut(), timed > 0) {
                read_profile(device, p, timed);
            }
        }
    }
}

/// Wait for the batch, read its timestamps and add them to the per-op totals.
fn read_profile(device: &wgpu::Device, p: &mut Profiler, timed: u32) {
    let slice = p.staging.slice(0..16 * timed as u64);
    slice.map_async(wgpu::MapMode::Read, |_| {});
    if device.poll(wgpu::PollType::wait_indefinitely()).is_ok() {
        if let Ok(view) = slice.get_mapped_range() {
            let ts: &[u64] = bytemuck::cast_slice(&view);
            for (i, name) in p.names.iter().enumerate() {
                let ns = ts[2 * i + 1].saturating_sub(ts[2 * i]) as f64 * p.period_ns;
                let e = p.totals.entry(name.clone()).or_insert((0.0, 0));
                e.0 += ns;
                e.1 += 1;
            }
        }
        p.staging.unmap();
    }
    p.names.clear();
}
