//! The device layer: adapter choice, limits, pipeline cache, buffer pool, the recorder that
//! batches dispatches into one command encoder, and the one readback path.
//!
//! Nothing here knows about tensors, ops or models; it moves bytes and launches kernels.
//! `Gpu` is a cheap handle (`Rc`): the engine is single-threaded by design, data loading runs
//! on CPU worker threads and hands plain `Vec<f32>` to the thread that owns the `Gpu`.

mod disk_cache;
mod layout;
pub mod params;
mod pool;
mod recorder;
pub mod shaders;
mod texture;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error::{fmt_shapes, Error, Result};
pub use pool::{PoolStats, PooledBuffer};
pub use recorder::HostClocks;
pub use shaders::Shader;
pub use texture::{linear_dims, PooledTexture, LINEAR_TH, LINEAR_TW};

/// How to pick and configure the device.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Substring of the adapter name (case-insensitive); `SRALIGN_ADAPTER` when `None`.
    pub adapter: Option<String>,
    /// `vulkan|metal|dx12|gl`; `SRALIGN_BACKEND` when `None`.
    pub backend: Option<String>,
    /// Use a smaller storage-binding limit than the adapter's (for testing split launches).
    pub max_storage_binding: Option<u64>,
    /// Use fewer storage buffers per shader stage than the adapter allows (for testing the
    /// errors an adapter with wgpu's downlevel limit of 4, as on many GLES devices, gives).
    pub max_storage_buffers_per_stage: Option<u32>,
    /// Dispatches recorded before the recorder submits (default 256: a submit costs the
    /// recording thread ~0.3-0.5 ms on lavapipe whatever its size; with 128 the tiny SwinIR's
    /// step of ~170 dispatches took two, and its host time was 2.2 ms instead of 1.6).
    pub dispatches_per_submit: Option<usize>,
    /// Request WebGPU's default limits (`wgpu::Limits::default()`) instead of the adapter's,
    /// to check that the engine runs where limits are lower; `SRALIGN_LIMITS=default` when
    /// `None` (`SRALIGN_LIMITS=adapter`, the default, requests the adapter's).
    pub webgpu_default_limits: Option<bool>,
}

/// What `sralign info` prints about the adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub features: Vec<String>,
    pub limits: wgpu::Limits,
    pub subgroup_size: (u32, u32),
}

/// A binding of one launch, in `@binding` order after the uniform block at binding 0.
#[derive(Clone, Copy)]
pub enum Bind<'a> {
    /// A range of a storage buffer (read-only or read-write as the shader declares it).
    Buffer {
        buffer: &'a wgpu::Buffer,
        offset: u64,
        size: u64,
    },
    /// A texture view (sampled or storage, as the shader declares it).
    Texture(&'a wgpu::TextureView),
}

/// Lanes of the subgroup kernels' workgroups (one subgroup each); see
/// `Gpu::subgroup_kernels_usable`.
pub const SUBGROUP_KERNEL_LANES: u32 = 8;

/// One kernel launch.
pub struct Launch<'a> {
    /// Op name used in errors, e.g. `conv2d_forward`.
    pub op: &'a str,
    /// Shapes of the op's operands, for error messages.
    pub shapes: &'a [&'a [usize]],
    pub shader: &'static Shader,
    pub entry: &'static str,
    /// WGSL `override` constants: part of the pipeline cache key.
    pub overrides: &'a [(&'static str, f64)],
    /// The uniform block at `@binding(0)`: u32 words (f32 values as bits). At most 64 words.
    pub params: &'a [u32],
    pub binds: &'a [Bind<'a>],
    pub workgroups: [u32; 3],
}

pub(crate) struct GpuInner {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub summary: AdapterSummary,
    /// The limits launches are validated against (may be lower than the device's).
    pub limits: wgpu::Limits,
    pipelines: RefCell<HashMap<PipelineKey, (wgpu::ComputePipeline, wgpu::BindGroupLayout)>>,
    /// One explicit layout per shader file (see layout.rs): (bind group layout, pipeline layout).
    layouts: RefCell<HashMap<&'static str, (wgpu::BindGroupLayout, wgpu::PipelineLayout)>>,
    /// Compiled pipelines kept across runs (Vulkan), saved on drop when `compiled` > 0.
    disk_cache: Option<disk_cache::DiskCache>,
    /// Pipelines compiled by this handle (cache misses of `pipelines`).
    compiled: Cell<usize>,
    /// Told (count so far, entry point, seconds it took) after each pipeline compilation.
    on_compile: RefCell<Option<CompileObserver>>,
    modules: RefCell<HashMap<&'static str, wgpu::ShaderModule>>,
    pool: Rc<RefCell<pool::BufferPool>>,
    textures: Rc<RefCell<texture::TexturePool>>,
    recorder: RefCell<recorder::Recorder>,
    errors: Arc<Mutex<Vec<String>>>,
    next_id: Cell<u64>,
    /// Floating-point operations the ops declared as they launched (`count_flops`).
    flops: Cell<f64>,
}

/// Told (pipelines compiled so far, entry point, seconds it took) after each compilation.
pub type CompileObserver = Box<dyn Fn(usize, &str, f64)>;

#[derive(Clone, PartialEq, Eq, Hash)]
struct PipelineKey {
    shader: &'static str,
    entry: &'static str,
    overrides: Vec<(&'static str, u64)>,
}

/// Handle to the device. Clone is cheap.
#[derive(Clone)]
pub struct Gpu(pub(crate) Rc<GpuInner>);

fn backend_from_name(name: &str) -> Result<wgpu::Backends> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "vulkan" | "vk" => wgpu::Backends::VULKAN,
        "metal" | "mtl" => wgpu::Backends::METAL,
        "dx12" | "d3d12" => wgpu::Backends::DX12,
        "gl" | "gles" | "opengl" => wgpu::Backends::GL,
        other => {
            return Err(Error::NoAdapter(format!(
                "SRALIGN_BACKEND={other:?} is not one of vulkan, metal, dx12, gl"
            )))
        }
    })
}

/// Every adapter wgpu offers on this machine: (name, backend, device type), for `sralign info`
/// and for choosing `SRALIGN_ADAPTER`.
pub fn list_adapters() -> Vec<(String, String, String)> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|a| {
            let i = a.get_info();
            (
                i.name,
                format!("{:?}", i.backend),
                format!("{:?}", i.device_type),
            )
        })
        .collect()
}

impl Gpu {
    /// Open the adapter chosen by the environment (`SRALIGN_ADAPTER`, `SRALIGN_BACKEND`).
    pub fn new() -> Result<Gpu> {
        Gpu::with_options(GpuOptions::default())
    }

    pub fn with_options(opts: GpuOptions) -> Result<Gpu> {
        let backend_name = opts
            .backend
            .clone()
            .or_else(|| std::env::var("SRALIGN_BACKEND").ok());
        let adapter_name = opts
            .adapter
            .clone()
            .or_else(|| std::env::var("SRALIGN_ADAPTER").ok());
        let backends = match &backend_name {
            Some(b) if !b.is_empty() => backend_from_name(b)?,
            _ => wgpu::Backends::all(),
        };
        let mut idesc = wgpu::InstanceDescriptor::new_without_display_handle();
        idesc.backends = backends;
        let instance = wgpu::Instance::new(idesc);
        let adapters = pollster::block_on(instance.enumerate_adapters(backends));
        if adapters.is_empty() && backends != wgpu::Backends::all() {
            let all: Vec<String> = list_adapters()
                .into_iter()
                .map(|(n, b, t)| format!("{n} ({b}, {t})"))
                .collect();
            return Err(Error::NoAdapter(format!(
                "no adapter matches SRALIGN_BACKEND={}; adapters on this machine: {}",
                backend_name.as_deref().unwrap_or_default(),
                if all.is_empty() {
                    "none".to_string()
                } else {
                    all.join("; ")
                }
            )));
        }
        if adapters.is_empty() {
            return Err(Error::NoAdapter(
                "wgpu found no adapter (run tools/setup.sh to install Mesa's software Vulkan driver)"
                    .into(),
            ));
        }
        let adapter = match &adapter_name {
            Some(want) if !want.is_empty() => {
                let w = want.to_ascii_lowercase();
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_ascii_lowercase().contains(&w))
                    .ok_or_else(|| {
                        Error::NoAdapter(format!(
                            "SRALIGN_ADAPTER={want:?} matches none of: {}",
                            names.join("; ")
                        ))
                    })?
            }
            _ => {
                // Prefer a discrete GPU, then integrated, then anything (CPU adapters included).
                let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
                    wgpu::DeviceType::DiscreteGpu => 0,
                    wgpu::DeviceType::IntegratedGpu => 1,
                    wgpu::DeviceType::VirtualGpu => 2,
                    wgpu::DeviceType::Cpu => 3,
                    wgpu::DeviceType::Other => 4,
                };
                // Among equals, a native API before GL (which lacks subgroups and most limits).
                let api = |a: &wgpu::Adapter| (a.get_info().backend == wgpu::Backend::Gl) as u8;
                let mut v = adapters;
                v.sort_by_key(|a| (rank(a), api(a)));
                v.into_iter().next().unwrap()
            }
        };
        let info = adapter.get_info();
        let default_limits = match opts.webgpu_default_limits {
            Some(b) => b,
            None => match std::env::var("SRALIGN_LIMITS").ok().as_deref() {
                None | Some("") | Some("adapter") => false,
                Some("default") => true,
                Some(other) => {
                    return Err(Error::NoAdapter(format!(
                        "SRALIGN_LIMITS={other:?} is not one of adapter, default"
                    )))
                }
            },
        };
        let requested_limits = if default_limits {
            let want = wgpu::Limits::default();
            let mut short = Vec::new();
            want.check_limits_with_fail_fn(&adapter.limits(), false, |name, w, a| {
                short.push(format!("{name} {w} (adapter: {a})"))
            });
            if !short.is_empty() {
                return Err(Error::NoAdapter(format!(
                    "{}: SRALIGN_LIMITS=default, but the adapter is below WebGPU's defaults: {}",
                    info.name,
                    short.join(", ")
                )));
            }
            want
        } else {
            adapter.limits()
        };
        let wanted = wgpu::Features::SUBGROUP
            | wgpu::Features::TIMESTAMP_QUERY
            | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
            | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES
            | wgpu::Features::SHADER_F16;
        let cache_file = disk_cache::dir().and_then(|d| disk_cache::file_for(&d, &info));
        let wanted = if cache_file.is_some() {
            wanted | wgpu::Features::PIPELINE_CACHE
        } else {
            wanted
        };
        let features = adapter.features() & wanted;
        let desc = wgpu::DeviceDescriptor {
            label: Some("sralign"),
            required_features: features,
            required_limits: requested_limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| Error::NoAdapter(format!("{}: request_device failed: {e}", info.name)))?;
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        {
            let errors = errors.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                errors.lock().unwrap().push(e.to_string());
            }));
        }
        let mut limits = requested_limits.clone();
        if let Some(m) = opts.max_storage_binding {
            limits.max_storage_buffer_binding_size = limits.max_storage_buffer_binding_size.min(m);
        }
        if let Some(m) = opts.max_storage_buffers_per_stage {
            limits.max_storage_buffers_per_shader_stage =
                limits.max_storage_buffers_per_shader_stage.min(m);
        }
        let summary = AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            features: [
                (wgpu::Features::SUBGROUP, "subgroup"),
                (wgpu::Features::SHADER_F16, "shader-f16"),
                (wgpu::Features::TIMESTAMP_QUERY, "timestamp-query"),
                (
                    wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES,
                    "timestamp-query-inside-passes",
                ),
            ]
            .iter()
            .filter(|(f, _)| features.contains(*f))
            .map(|(_, n)| n.to_string())
            .collect(),
            limits: requested_limits.clone(),
            subgroup_size: (info.subgroup_min_size, info.subgroup_max_size),
        };
        let uniform_align = limits.min_uniform_buffer_offset_alignment.max(256) as u64;
        let recorder = recorder::Recorder::new(
            &device,
            uniform_align,
            opts.dispatches_per_submit.unwrap_or(256).max(1),
        );
        let disk_cache = cache_file
            .filter(|_| features.contains(wgpu::Features::PIPELINE_CACHE))
            .map(|f| disk_cache::open(&device, f));
        Ok(Gpu(Rc::new(GpuInner {
            device,
            queue,
            summary,
            limits,
            pipelines: RefCell::default(),
            layouts: RefCell::default(),
            disk_cache,
            compiled: Cell::new(0),
            on_compile: RefCell::new(None),
            modules: RefCell::default(),
            pool: Rc::new(RefCell::new(pool::BufferPool::default())),
            textures: Rc::default(),
            recorder: RefCell::new(recorder),
            errors,
            next_id: Cell::new(1),
            flops: Cell::new(0.0),
        })))
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.0.device
    }
    /// Pipelines compiled so far by this handle.
    pub fn pipelines_compiled(&self) -> usize {
        self.0.compiled.get()
    }
    /// The file compiled pipelines persist in across runs (Vulkan), if any.
    pub fn pipeline_cache_file(&self) -> Option<&std::path::Path> {
        self.0.disk_cache.as_ref().map(|c| c.path.as_path())
    }
    /// Call `f(count so far, entry point, seconds)` after each pipeline compilation (a front
    /// end shows progress: on a cold driver cache compiling takes tens of seconds on a CPU
    /// driver); `None` removes it.
    pub fn set_compile_observer(&self, f: Option<CompileObserver>) {
        *self.0.on_compile.borrow_mut() = f;
    }
    /// Write the persisted pipeline cache now (it is also written when the last handle drops).
    pub fn save_pipeline_cache(&self) -> std::io::Result<()> {
        match &self.0.disk_cache {
            Some(c) if self.0.compiled.get() > 0 => c.save(),
            _ => Ok(()),
        }
    }
    pub fn queue(&self) -> &wgpu::Queue {
        &self.0.queue
    }
    pub fn summary(&self) -> &AdapterSummary {
        &self.0.summary
    }
    /// The limits launches are validated against.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.0.limits
    }
    pub fn has_subgroups(&self) -> bool {
        self.0.device.features().contains(wgpu::Features::SUBGROUP)
    }
    /// True when every subgroup has at least `lanes` lanes: the condition of the kernels whose
    /// workgroup is one subgroup of 8 lanes sharing values by `subgroupBroadcast` at constant
    /// lanes (a workgroup of 8 then lies in one subgroup, whatever its size up to 128).
    pub fn has_subgroups_of(&self, lanes: u32) -> bool {
        self.has_subgroups() && self.0.summary.subgroup_size.0 >= lanes
    }
    /// The one check of every subgroup kernel (conv2d and matmul texture kernels, covariance,
    /// RFF, attention): workgroups of `SUBGROUP_KERNEL_LANES` lanes that broadcast at constant
    /// lanes need subgroups at least that wide.
    pub fn subgroup_kernels_usable(&self) -> bool {
        self.has_subgroups_of(SUBGROUP_KERNEL_LANES)
    }
    /// True on a CPU adapter (lavapipe, WARP, SwiftShader): kernels may pick variants by it.
    pub fn is_cpu(&self) -> bool {
        self.0.summary.device_type == "Cpu"
    }
    pub(crate) fn fresh_id(&self) -> u64 {
        let id = self.0.next_id.get();
        self.0.next_id.set(id + 1);
        id
    }

    /// Allocate a storage buffer of at least `bytes` bytes from the pool.
    pub fn alloc(&self, op: &str, bytes: u64) -> Result<PooledBuffer> {
        if bytes > self.0.limits.max_buffer_size {
            return Err(Error::Limit {
                op: op.into(),
                shapes: String::new(),
                detail: format!(
                    "buffer of {bytes} bytes exceeds max_buffer_size {}",
                    self.0.limits.max_buffer_size
                ),
            });
        }
        Ok(pool::BufferPool::alloc(&self.0.pool, &self.0.device, bytes))
    }

    /// Allocate a 2-D texture (`layers` > 1: a 2-D array, viewed as `texture_2d_array`) from
    /// the texture pool. Dimensions are checked against the adapter's limits.
    pub fn alloc_texture(
        &self,
        op: &str,
        width: u32,
        height: u32,
        layers: u32,
        format: wgpu::TextureFormat,
    ) -> Result<PooledTexture> {
        self.alloc_texture_view(op, width, height, layers, format, layers > 1)
    }

    /// Like `alloc_texture`, with the view's dimension chosen explicitly: `array` gives a
    /// `texture_2d_array` view even for one layer (kernels whose layer count varies by shape).
    pub fn alloc_texture_view(
        &self,
        op: &str,
        width: u32,
        height: u32,
        layers: u32,
        format: wgpu::TextureFormat,
        array: bool,
    ) -> Result<PooledTexture> {
        let l = &self.0.limits;
        if width == 0 || height == 0 || layers == 0 {
            return Err(Error::Unsupported {
                op: op.into(),
                detail: "zero-sized texture".into(),
            });
        }
        if width > l.max_texture_dimension_2d
            || height > l.max_texture_dimension_2d
            || layers > l.max_texture_array_layers
        {
            return Err(Error::Limit {
                op: op.into(),
                shapes: format!("texture {width}x{height}x{layers}"),
                detail: format!(
                    "max_texture_dimension_2d {} / max_texture_array_layers {}",
                    l.max_texture_dimension_2d, l.max_texture_array_layers
                ),
            });
        }
        Ok(texture::alloc(
            &self.0.textures,
            &self.0.device,
            (width, height, layers, format),
            array || layers > 1,
        ))
    }

    /// Textures ever created by the texture pool.
    pub fn textures_created(&self) -> u64 {
        self.0.textures.borrow().created
    }

    pub fn pool_stats(&self) -> PoolStats {
        self.0.pool.borrow().stats()
    }

    /// A 1-D grid of `n` workgroups folded into 2-D when it exceeds the per-dimension limit.
    /// Shaders recover the linear index as `wid.x + wid.y * nwg.x` and skip indices >= n.
    pub fn grid_1d(&self, n: u32) -> [u32; 3] {
        let max = self.0.limits.max_compute_workgroups_per_dimension.max(1);
        if n <= max {
            [n.max(1), 1, 1]
        } else {
            let y = n.div_ceil(max);
            [n.div_ceil(y), y, 1]
        }
    }

    /// The explicit layout of a shader file, made on first use.
    fn layout(&self, l: &Launch) -> Result<(wgpu::BindGroupLayout, wgpu::PipelineLayout)> {
        if let Some(x) = self.0.layouts.borrow().get(l.shader.name) {
            return Ok(x.clone());
        }
        let slot = self.0.recorder.borrow().slot_bytes();
        let entries = layout::entries(l.shader.name, l.shader.source, slot)?;
        let bgl = self
            .0
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(l.shader.name),
                entries: &entries,
            });
        let pl = self
            .0
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(l.shader.name),
                bind_group_layouts: &[Some(&bgl)],
                immediate_size: 0,
            });
        self.take_device_errors(l.op)?;
        self.0
            .layouts
            .borrow_mut()
            .insert(l.shader.name, (bgl.clone(), pl.clone()));
        Ok((bgl, pl))
    }

    fn pipeline(&self, l: &Launch) -> Result<(wgpu::ComputePipeline, wgpu::BindGroupLayout)> {
        let key = PipelineKey {
            shader: l.shader.name,
            entry: l.entry,
            overrides: l.overrides.iter().map(|(k, v)| (*k, v.to_bits())).collect(),
        };
        if let Some(p) = self.0.pipelines.borrow().get(&key) {
            return Ok(p.clone());
        }
        if let Some((name, v)) = l
            .overrides
            .iter()
            .find(|(n, v)| !shaders::override_listed(l.shader.name, n, *v))
        {
            return Err(Error::Unsupported {
                op: l.op.into(),
                detail: format!(
                    "override {name} = {v} of {} is not listed in gpu::shaders::OVERRIDES \
                     (so the portability test never translated it)",
                    l.shader.name
                ),
            });
        }
        let (bgl, pl) = self.layout(l)?;
        let t0 = std::time::Instant::now();
        let module = {
            let mut modules = self.0.modules.borrow_mut();
            modules
                .entry(l.shader.name)
                .or_insert_with(|| {
                    self.0
                        .device
                        .create_shader_module(wgpu::ShaderModuleDescriptor {
                            label: Some(l.shader.name),
                            source: wgpu::ShaderSource::Wgsl(l.shader.source.into()),
                        })
                })
                .clone()
        };
        let pipeline = self
            .0
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(l.entry),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(l.entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: l.overrides,
                    zero_initialize_workgroup_memory: false,
                },
                cache: self.0.disk_cache.as_ref().map(|c| &c.cache),
            });
        self.take_device_errors(l.op)?;
        self.0
            .pipelines
            .borrow_mut()
            .insert(key, (pipeline.clone(), bgl.clone()));
        let n = self.0.compiled.get() + 1;
        self.0.compiled.set(n);
        if let Some(f) = self.0.on_compile.borrow().as_ref() {
            f(n, l.entry, t0.elapsed().as_secs_f64());
        }
        Ok((pipeline, bgl))
    }

    fn check_launch(&self, l: &Launch) -> Result<()> {
        let lim = &self.0.limits;
        let err = |detail: String| Error::Limit {
            op: l.op.to_string(),
            shapes: fmt_shapes(l.shapes),
            detail,
        };
        for (i, w) in l.workgroups.iter().enumerate() {
            if *w > lim.max_compute_workgroups_per_dimension {
                return Err(err(format!(
                    "{w} workgroups in dimension {i} exceed max_compute_workgroups_per_dimension {}",
                    lim.max_compute_workgroups_per_dimension
                )));
            }
        }
        let nbuf = l
            .binds
            .iter()
            .filter(|b| matches!(b, Bind::Buffer { .. }))
            .count() as u32;
        if nbuf > lim.max_storage_buffers_per_shader_stage {
            return Err(err(format!(
                "{nbuf} storage buffers exceed max_storage_buffers_per_shader_stage {}",
                lim.max_storage_buffers_per_shader_stage
            )));
        }
        for b in l.binds {
            if let Bind::Buffer { size, offset, .. } = b {
                if *size > lim.max_storage_buffer_binding_size {
                    return Err(err(format!(
                        "a binding of {size} bytes exceeds max_storage_buffer_binding_size {}",
                        lim.max_storage_buffer_binding_size
                    )));
                }
                if *size == 0 {
                    return Err(err("a zero-sized binding".into()));
                }
                if offset % lim.min_storage_buffer_offset_alignment as u64 != 0 {
                    return Err(err(format!(
                        "binding offset {offset} is not a multiple of {}",
                        lim.min_storage_buffer_offset_alignment
                    )));
                }
            }
        }
        if l.params.len() > recorder::MAX_PARAM_WORDS {
            return Err(err(format!("{} parameter words (max 64)", l.params.len())));
        }
        Ok(())
    }

    /// Validate and record one dispatch. Nothing runs until the recorder submits.
    pub fn launch(&self, l: Launch) -> Result<()> {
        let t0 = Instant::now();
        self.check_launch(&l)?;
        if l.workgroups.contains(&0) {
            return Ok(());
        }
        let (pipeline, bgl) = self.pipeline(&l)?;
        let mut rec = self.0.recorder.borrow_mut();
        rec.dispatch(
            l.op,
            l.entry,
            &self.0.device,
            &self.0.queue,
            &pipeline,
            &bgl,
            l.params,
            l.binds,
            l.workgroups,
        );
        let full = rec.is_full();
        rec.clocks.record += t0.elapsed();
        drop(rec);
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Record a buffer-to-buffer copy in stream order.
    pub fn copy(&self, src: &wgpu::Buffer, src_off: u64, dst: &wgpu::Buffer, dst_off: u64, n: u64) {
        if n > 0 {
            self.0
                .recorder
                .borrow_mut()
                .copy(&self.0.device, src, src_off, dst, dst_off, n);
        }
    }

    /// Record zero-filling `n` bytes of a buffer in stream order.
    pub fn clear(&self, buf: &wgpu::Buffer, offset: u64, n: u64) {
        if n > 0 {
            self.0
                .recorder
                .borrow_mut()
                .clear(&self.0.device, buf, offset, n);
        }
    }

    /// Submit everything recorded so far (does not wait).
    pub fn flush(&self) -> Result<()> {
        self.0
            .recorder
            .borrow_mut()
            .submit(&self.0.device, &self.0.queue);
        self.take_device_errors("submit")
    }

    /// Submit everything recorded so far and return a fence for it: `wait_for` then waits until
    /// that work (and all before it) has run. A training loop keeps one step in flight this way.
    pub fn fence(&self) -> Result<Option<wgpu::SubmissionIndex>> {
        self.flush()?;
        Ok(self.0.recorder.borrow().last_submission.clone())
    }

    /// Wait until the submission of a fence has completed.
    pub fn wait_for(&self, fence: Option<wgpu::SubmissionIndex>) -> Result<()> {
        let Some(idx) = fence else {
            return Ok(());
        };
        self.timed_wait(wgpu::PollType::Wait {
            submission_index: Some(idx),
            timeout: None,
        })?;
        self.take_device_errors("wait")
    }

    /// Submit and wait until the device is idle.
    pub fn sync(&self) -> Result<()> {
        self.flush()?;
        self.timed_wait(wgpu::PollType::wait_indefinitely())?;
        self.take_device_errors("sync")
    }

    /// Block until the device reaches `until`, counting the time in `HostClocks::wait`.
    fn timed_wait(&self, until: wgpu::PollType) -> Result<()> {
        let t0 = Instant::now();
        let r = self.0.device.poll(until);
        self.0.recorder.borrow_mut().clocks.wait += t0.elapsed();
        r.map(|_| ()).map_err(|e| Error::Device(e.to_string()))
    }

    /// Time every dispatch with timestamp queries (each submit then waits for its batch).
    /// Errors when the adapter has no timestamp queries inside passes.
    pub fn set_profiling(&self, on: bool) -> Result<()> {
        let f = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES;
        if on && !self.0.device.features().contains(f) {
            return Err(Error::Unsupported {
                op: "profile".into(),
                detail: format!(
                    "{} has no timestamp queries inside compute passes",
                    self.0.summary.name
                ),
            });
        }
        self.flush()?;
        let mut rec = self.0.recorder.borrow_mut();
        rec.profiler = if on {
            Some(recorder::Profiler::new(
                &self.0.device,
                &self.0.queue,
                rec.slots(),
            ))
        } else {
            None
        };
        Ok(())
    }

    /// Per-op GPU time since profiling was enabled: (op, total ms, dispatches), largest first.
    pub fn take_profile(&self) -> Result<Vec<(String, f64, u64)>> {
        self.flush()?;
        let mut rec = self.0.recorder.borrow_mut();
        let Some(p) = rec.profiler.as_mut() else {
            return Ok(Vec::new());
        };
        let mut rows: Vec<(String, f64, u64)> = p
            .totals
            .drain()
            .map(|(k, (ns, n))| (k, ns / 1e6, n))
            .collect();
        rows.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
        Ok(rows)
    }

    /// Device time between consecutive kernels of one submitted batch since profiling was
    /// enabled (end of one kernel's timestamp to the start of the next: the driver's own cost
    /// per dispatch, barriers and the timestamp writes): (total ms, number of gaps).
    pub fn profile_gaps(&self) -> Result<(f64, u64)> {
        self.flush()?;
        let rec = self.0.recorder.borrow();
        Ok(rec
            .profiler
            .as_ref()
            .map_or((0.0, 0), |p| (p.gap_ns / 1e6, p.gaps)))
    }

    /// Main-thread time in the device layer since the device was opened (recording, finishing,
    /// submitting, waiting). Subtract two readings (`HostClocks::since`) to time a step.
    pub fn host_clocks(&self) -> HostClocks {
        self.0.recorder.borrow().clocks
    }

    /// Bind groups created since the device was opened (misses of the recorder's cache).
    pub fn bind_groups_created(&self) -> u64 {
        self.0.recorder.borrow().groups_created()
    }

    /// Dispatches recorded since the device was opened (for "dispatches per step" reports).
    pub fn dispatch_count(&self) -> u64 {
        self.0.recorder.borrow().total_dispatches
    }

    /// Adds `n` to the count of floating-point operations launched: ops whose work is
    /// dominated by multiply-adds (the convolutions) declare 2 x their multiply-adds per pass,
    /// so a benchmark can report a whole training step's rate (`flop_count`).
    pub fn count_flops(&self, n: f64) {
        self.0.flops.set(self.0.flops.get() + n);
    }

    /// Floating-point operations declared since the device was opened (see `count_flops`).
    pub fn flop_count(&self) -> f64 {
        self.0.flops.get()
    }

    fn take_device_errors(&self, op: &str) -> Result<()> {
        let mut errs = self.0.errors.lock().unwrap();
        if errs.is_empty() {
            return Ok(());
        }
        let msg = errs.join("; ");
        errs.clear();
        Err(Error::Device(format!("after {op}: {msg}")))
    }

    /// Write bytes into a buffer. Pending work is submitted first so that the write (which
    /// the queue performs before the next submission) cannot overtake recorded commands that
    /// still use a pooled buffer this upload reuses.
    pub fn write(&self, buf: &wgpu::Buffer, offset: u64, bytes: &[u8]) -> Result<()> {
        if self.0.recorder.borrow().pending() {
            self.flush()?;
        }
        let t0 = Instant::now();
        self.0.queue.write_buffer(buf, offset, bytes);
        self.0.recorder.borrow_mut().clocks.record += t0.elapsed();
        Ok(())
    }

    /// The one readback path: copy `bytes` bytes at `offset` into a staging buffer, submit,
    /// wait, and return them.
    pub fn read(&self, buf: &wgpu::Buffer, offset: u64, bytes: u64) -> Result<Vec<u8>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let staging = pool::BufferPool::alloc_staging(&self.0.pool, &self.0.device, bytes);
        self.copy(buf, offset, staging.buffer(), 0, bytes);
        self.flush()?;
        let slice = staging.buffer().slice(0..bytes);
        let status: Arc<Mutex<Option<std::result::Result<(), wgpu::BufferAsyncError>>>> =
            Arc::default();
        {
            let status = status.clone();
            slice.map_async(wgpu::MapMode::Read, move |r| {
                *status.lock().unwrap() = Some(r)
            });
        }
        self.timed_wait(wgpu::PollType::wait_indefinitely())?;
        self.take_device_errors("readback")?;
        match status.lock().unwrap().take() {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(Error::Readback(e.to_string())),
            None => return Err(Error::Readback("map callback did not run".into())),
        }
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Readback(e.to_string()))?;
            view.to_vec()
        };
        staging.buffer().unmap();
        Ok(out)
    }
}

impl Drop for GpuInner {
    fn drop(&mut self) {
        // A cache that cannot be written costs the next run its compile time, nothing else.
        if let Some(c) = &self.disk_cache {
            if self.compiled.get() > 0 {
                let _ = c.save();
            }
        }
    }
}
