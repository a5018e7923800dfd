//! Elementwise binary ops on equal shapes: `add` (a + b) and `mul` (a * b).
//! Kernels: shaders/binary.wgsl (`add_forward`, `mul_forward`).
//!
//! Also `launch_map`, the launcher shared by every elementwise kernel of this crate's
//! elementwise ops (scale, bias, activations, PReLU, loss gradients, optimisers): it splits
//! tensors larger than the storage-binding limit into aligned sub-range launches.

use crate::autograd;
use crate::error::{Error, Result};
use crate::gpu::params::{BinaryParams, KernelParams};
use crate::gpu::{shaders, Bind, Gpu, Launch, Shader};
use crate::ops::same_shape;
use crate::tensor::{grid_for, Tensor};

/// Lanes per workgroup of the elementwise kernels (their `@workgroup_size`).
pub(crate) const MAP_WG: u32 = 256;

/// One elementwise kernel over `n` elements, four per lane: the kernels read and write
/// `array<vec4<f32>>` (on lavapipe a vec4 load costs about what a scalar load costs: 2.1x
/// faster than one element per lane, measured on add). Every tensor in `chunked` has `n`
/// elements and is bound as the same sub-range; the tensors in `whole` (biases, slopes, a loss
/// gradient) are bound whole after them. The kernel's parameter struct starts with `n` (vec4s
/// in the launch) and `offset` (index of its first element), which the launcher fills per
/// sub-range (`MapParams::of` checks the names). A launch per
/// sub-range keeps each binding under `max_storage_buffer_binding_size` with offsets aligned
/// to the storage offset alignment.
///
/// Bindings are rounded up to 16 bytes: the lanes of the last vec4 past `n` compute garbage
/// into the padding of the pooled buffers (size classes are multiples of 16 bytes), which
/// no tensor reads.
pub(crate) struct Map<'a> {
    pub op: &'a str,
    pub shapes: &'a [&'a [usize]],
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub overrides: &'a [(&'static str, f64)],
    pub params: MapParams<'a>,
    pub chunked: &'a [&'a Tensor],
    pub whole: &'a [&'a Tensor],
    pub n: usize,
}

/// The words of an elementwise kernel's parameter struct, whose first two fields (`n`,
/// `offset`) the launcher sets.
#[derive(Clone, Copy)]
pub(crate) struct MapParams<'a>(&'a [u32]);

impl<'a> MapParams<'a> {
    pub fn of<P: KernelParams>(p: &'a P) -> MapParams<'a> {
        assert!(
            P::FIELDS.len() >= 2 && P::FIELDS[0] == "n" && P::FIELDS[1] == "offset",
            "an elementwise kernel's Params must start with n, offset: {:?}",
            P::FIELDS
        );
        MapParams(p.words())
    }
}

/// Elements per sub-range launch: the largest multiple of the offset alignment (and of 4)
/// that fits in one binding.
pub(crate) fn map_chunk(gpu: &Gpu) -> usize {
    let lim = gpu.limits();
    let align = (lim.min_storage_buffer_offset_alignment as u64).max(16);
    let max = lim.max_storage_buffer_binding_size;
    ((max / align) * align / 4).max(align / 4) as usize
}

/// Elements `start..start + len` of `t` as a binding rounded up to whole vec4s (16 bytes).
pub(crate) fn bind_vec4<'t>(op: &str, t: &'t Tensor, start: usize, len: usize) -> Result<Bind<'t>> {
    let offset = start as u64 * 4;
    let size = (len as u64 * 4).div_ceil(16) * 16;
    if offset + size > t.buffer().size() {
        return Err(Error::Limit {
            op: op.into(),
            shapes: format!("{:?}", t.shape()),
            detail: "buffer is not padded to a multiple of 16 bytes".into(),
        });
    }
    Ok(Bind::Buffer {
        buffer: t.buffer(),
        offset,
        size,
    })
}

pub(crate) fn launch_map(m: Map) -> Result<()> {
    let gpu = m.chunked[0].gpu();
    let chunk = map_chunk(gpu);
    let mut start = 0;
    while start < m.n {
        let len = chunk.min(m.n - start);
        let n4 = len.div_ceil(4);
        let mut params = m.params.0.to_vec();
        params[0] = n4 as u32;
        params[1] = start as u32;
        let mut binds = Vec::with_capacity(m.chunked.len() + m.whole.len());
        for t in m.chunked {
            binds.push(bind_vec4(m.op, t, start, len)?);
        }
        for t in m.whole {
            binds.push(bind_vec4(m.op, t, 0, t.numel())?);
        }
        gpu.launch(Launch {
            op: m.op,
            shapes: m.shapes,
            shader: m.shader,
            entry: m.entry,
            overrides: m.overrides,
            params: &params,
            binds: &binds,
            workgroups: grid_for(gpu, n4, MAP_WG),
        })?;
        start += len;
    }
    Ok(())
}

fn launch_binary(op: &'static str, entry: &'static str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_shape(op, a, b)?;
    let out = Tensor::empty(a.gpu(), op, a.shape())?;
    launch_map(Map {
        op,
        shapes: &[a.shape(), b.shape()],
        shader: &shaders::BINARY,
        entry,
        overrides: &[],
        params: MapParams::of(&BinaryParams::default()),
        chunked: &[&out, a, b],
        whole: &[],
        n: a.numel(),
    })?;
    Ok(out)
}

/// out = a + b
pub fn add_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    launch_binary("add_forward", "add_forward", a, b)
}

/// out = a * b (elementwise); its backward is `mul_forward(dout, other)`.
pub fn mul_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    launch_binary("mul_forward", "mul_forward", a, b)
}

/// Differentiable a + b: both gradients are dout itself (shared, never written in place).
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = add_forward(a, b)?;
    autograd::record("add", &[a, b], &out, |dout, _| {
        Ok(vec![Some(dout.clone()), Some(dout.clone())])
    });
    Ok(out)
}

/// Differentiable a * b: da = dout * b, db = dout * a.
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = mul_forward(a, b)?;
    let (sa, sb) = (a.detach(), b.detach());
    autograd::record("mul", &[a, b], &out, move |dout, needs| {
        let da = if needs[0] {
            Some(mul_forward(dout, &sb)?)
        } else {
            None
        };
        let db = if needs[1] {
            Some(mul_forward(dout, &sa)?)
        } else {
            None
        };
        Ok(vec![da, db])
    });
    Ok(out)
}

/// f64 CPU references.
pub mod reference {
    pub fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }
    pub fn mul(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x * y).collect()
    }
}
