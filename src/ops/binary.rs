//! Elementwise binary ops on equal shapes: `add` (a + b) and `mul` (a * b).
//! Kernels: shaders/binary.wgsl (`add_forward`, `mul_forward`).
//!
//! Also `launch_map`, the launcher shared by every elementwise kernel of this crate's
//! elementwise ops (scale, bias, activations, PReLU, loss gradients, optimisers): it splits
//! tensors larger than the storage-binding limit into aligned sub-range launches.

use crate::autograd;
use crate::error::Result;
use crate::gpu::{shaders, Launch, Shader};
use crate::ops::same_shape;
use crate::tensor::{grid_for, Tensor};

/// Lanes per workgroup of the elementwise kernels (their `@workgroup_size`).
pub(crate) const MAP_WG: u32 = 256;

/// One elementwise kernel over `n` elements. Every tensor in `chunked` has `n` elements and is
/// bound as the same sub-range; the tensors in `whole` (biases, slopes, a loss gradient) are
/// bound whole after them. The uniform block starts with `[len, offset]` of the sub-range,
/// then `params`. A launch per sub-range keeps each binding under
/// `max_storage_buffer_binding_size` with offsets aligned to the storage offset alignment.
pub(crate) struct Map<'a> {
    pub op: &'a str,
    pub shapes: &'a [&'a [usize]],
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub overrides: &'a [(&'static str, f64)],
    pub params: &'a [u32],
    pub chunked: &'a [&'a Tensor],
    pub whole: &'a [&'a Tensor],
    pub n: usize,
}

/// Elements per sub-range launch: the largest multiple of the offset alignment that fits.
pub(crate) fn map_chunk(gpu: &crate::gpu::Gpu) -> usize {
    let lim = gpu.limits();
    let align = (lim.min_storage_buffer_offset_alignment as u64).max(4);
    let max = lim.max_storage_buffer_binding_size as u64;
    ((max / align) * align / 4).max(align / 4) as usize
}

pub(crate) fn launch_map(m: Map) -> Result<()> {
    let gpu = m.chunked[0].gpu();
    let chunk = map_chunk(gpu);
    let mut start = 0;
    while start < m.n {
        let len = chunk.min(m.n - start);
        let mut params = vec![len as u32, start as u32];
        params.extend_from_slice(m.params);
        let mut binds: Vec<_> = m.chunked.iter().map(|t| t.bind_range(start, len)).collect();
        binds.extend(m.whole.iter().map(|t| t.bind()));
        gpu.launch(Launch {
            op: m.op,
            shapes: m.shapes,
            shader: m.shader,
            entry: m.entry,
            overrides: m.overrides,
            params: &params,
            binds: &binds,
            workgroups: grid_for(gpu, len, MAP_WG),
        })?;
        start += len;
    }
    Ok(())
}

fn launch_binary(op: &'static str, entry: &'static str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_shape(op, a, b)?;
    let gpu = a.gpu();
    let out = Tensor::empty(gpu, op, a.shape())?;
    let n = a.numel();
    gpu.launch(Launch {
        op,
        shapes: &[a.shape(), b.shape()],
        shader: &shaders::BINARY,
        entry,
        overrides: &[],
        params: &[n as u32],
        binds: &[out.bind(), a.bind(), b.bind()],
        workgroups: grid_for(gpu, n, 256),
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
