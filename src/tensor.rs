//! `Tensor`: a contiguous f32 array in a pooled GPU buffer plus its shape (NCHW for images,
//! [out, in] for linear weights). Cloning a `Tensor` is cheap and shares the buffer; the
//! buffer returns to the pool when the last clone drops. Tensors are immutable once an op has
//! written them, except through the optimiser kernels, which update parameters in place.
//!
//! This layer knows the device (`gpu`) and nothing above it: autograd links tensors by id.

use std::cell::Cell;
use std::rc::Rc;

use crate::error::{shape_err, Error, Result};
use crate::gpu::params::{entry, FillParams, KernelParams};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledBuffer};

struct Inner {
    id: u64,
    shape: Vec<usize>,
    buf: Rc<PooledBuffer>,
    gpu: Gpu,
    requires_grad: Cell<bool>,
}

#[derive(Clone)]
pub struct Tensor(Rc<Inner>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor#{}{:?}", self.0.id, self.0.shape)
    }
}

/// Workgroups for an elementwise kernel of `n` items with `wg` lanes per workgroup.
pub fn grid_for(gpu: &Gpu, n: usize, wg: u32) -> [u32; 3] {
    gpu.grid_1d((n as u64).div_ceil(wg as u64).min(u32::MAX as u64) as u32)
}

/// Split `bytes` (a multiple of 4) into ranges of at most one storage binding, with offsets
/// aligned as bindings require; `f(offset, size)` launches one range.
pub fn for_each_binding_range(
    gpu: &Gpu,
    bytes: u64,
    mut f: impl FnMut(u64, u64) -> Result<()>,
) -> Result<()> {
    let lim = gpu.limits();
    let align = lim.min_storage_buffer_offset_alignment.max(16) as u64;
    let chunk = (lim.max_storage_buffer_binding_size / align * align).max(align);
    let mut off = 0;
    while off < bytes {
        let size = chunk.min(bytes - off);
        f(off, size)?;
        off += size;
    }
    Ok(())
}

impl Tensor {
    /// Allocate an uninitialised tensor (an op's output). Zero-sized shapes are an error.
    pub fn empty(gpu: &Gpu, op: &str, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n == 0 || shape.is_empty() {
            return Err(shape_err(op, &[shape], "zero-sized tensor"));
        }
        let bytes = n as u64 * 4;
        let buf = gpu.alloc(op, bytes).map_err(|e| match e {
            Error::Limit { op, detail, .. } => Error::Limit {
                op,
                shapes: format!("{shape:?}"),
                detail,
            },
            e => e,
        })?;
        Ok(Tensor(Rc::new(Inner {
            id: gpu.fresh_id(),
            shape: shape.to_vec(),
            buf: Rc::new(buf),
            gpu: gpu.clone(),
            requires_grad: Cell::new(false),
        })))
    }

    pub fn zeros(gpu: &Gpu, shape: &[usize]) -> Result<Tensor> {
        let t = Tensor::empty(gpu, "zeros", shape)?;
        gpu.clear(t.buffer(), 0, t.bytes());
        Ok(t)
    }

    pub fn full(gpu: &Gpu, shape: &[usize], value: f32) -> Result<Tensor> {
        let t = Tensor::empty(gpu, "full", shape)?;
        for_each_binding_range(gpu, t.bytes(), |offset, size| {
            let n = (size / 4) as usize;
            gpu.launch(Launch {
                op: "full",
                shapes: &[shape],
                shader: &shaders::FILL,
                entry: entry::FILL,
                overrides: &[],
                params: FillParams { n: n as u32, value }.words(),
                binds: &[Bind::Buffer {
                    buffer: t.buffer(),
                    offset,
                    size,
                }],
                workgroups: grid_for(gpu, n, 256),
            })
        })?;
        Ok(t)
    }

    /// Upload host data.
    pub fn from_slice(gpu: &Gpu, shape: &[usize], data: &[f32]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(shape_err(
                "from_slice",
                &[shape],
                format!("{} values given for {n} elements", data.len()),
            ));
        }
        let t = Tensor::empty(gpu, "from_slice", shape)?;
        gpu.write(t.buffer(), 0, bytemuck::cast_slice(data))?;
        Ok(t)
    }

    /// Overwrite the whole tensor with host data (same number of elements).
    pub fn write(&self, data: &[f32]) -> Result<()> {
        if data.len() != self.numel() {
            return Err(shape_err(
                "write",
                &[self.shape()],
                format!("{} values given for {} elements", data.len(), self.numel()),
            ));
        }
        self.0
            .gpu
            .write(self.buffer(), 0, bytemuck::cast_slice(data))
    }

    /// Read the tensor back to the host (submits and waits).
    pub fn to_vec(&self) -> Result<Vec<f32>> {
        let bytes = self.0.gpu.read(self.buffer(), 0, self.bytes())?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// A tensor of another shape with the same elements, sharing the buffer (no copy).
    /// Not recorded on the tape; use `ops::reshape` inside a differentiable computation.
    pub fn reshaped(&self, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != self.numel() {
            return Err(shape_err(
                "reshape",
                &[self.shape(), shape],
                "element counts differ",
            ));
        }
        Ok(Tensor(Rc::new(Inner {
            id: self.0.gpu.fresh_id(),
            shape: shape.to_vec(),
            buf: self.0.buf.clone(),
            gpu: self.0.gpu.clone(),
            requires_grad: Cell::new(false),
        })))
    }

    /// A copy in a fresh buffer (e.g. the EMA weights' initial value).
    pub fn deep_clone(&self) -> Result<Tensor> {
        let t = Tensor::empty(&self.0.gpu, "clone", self.shape())?;
        self.0
            .gpu
            .copy(self.buffer(), 0, t.buffer(), 0, self.bytes());
        Ok(t)
    }

    /// A new tensor holding the same buffer, cut from the tape (no gradient flows through).
    pub fn detach(&self) -> Tensor {
        Tensor(Rc::new(Inner {
            id: self.0.gpu.fresh_id(),
            shape: self.0.shape.clone(),
            buf: self.0.buf.clone(),
            gpu: self.0.gpu.clone(),
            requires_grad: Cell::new(false),
        }))
    }

    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn gpu(&self) -> &Gpu {
        &self.0.gpu
    }
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }
    pub fn numel(&self) -> usize {
        self.0.shape.iter().product()
    }
    pub fn bytes(&self) -> u64 {
        self.numel() as u64 * 4
    }
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.0.buf.buffer()
    }
    /// The whole tensor as a storage binding.
    pub fn bind(&self) -> Bind<'_> {
        Bind::Buffer {
            buffer: self.buffer(),
            offset: 0,
            size: self.bytes(),
        }
    }
    /// Elements `start..start+len` as a storage binding (offsets must meet the adapter's
    /// storage offset alignment; `Gpu::launch` checks it).
    pub fn bind_range(&self, start: usize, len: usize) -> Bind<'_> {
        Bind::Buffer {
            buffer: self.buffer(),
            offset: start as u64 * 4,
            size: len as u64 * 4,
        }
    }

    /// Shape as (N, C, H, W); an error naming `op` when the tensor is not 4-D.
    pub fn dims4(&self, op: &str) -> Result<[usize; 4]> {
        match self.shape() {
            [n, c, h, w] => Ok([*n, *c, *h, *w]),
            s => Err(shape_err(op, &[s], "expected a 4-D NCHW tensor")),
        }
    }

    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.get()
    }
    /// Mark as a leaf that collects gradients (parameters), or set by autograd on op outputs.
    pub fn set_requires_grad(&self, on: bool) -> &Tensor {
        self.0.requires_grad.set(on);
        self
    }
    /// True when both tensors share one buffer.
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Rc::ptr_eq(&self.0.buf, &other.0.buf)
    }
}
