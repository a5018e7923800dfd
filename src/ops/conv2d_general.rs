//! 2-D convolution with any square kernel, stride and zero padding:
//! x [N, Cin, H, W] * w [Cout, Cin, k, k] (+ b [Cout]) -> [N, Cout, Ho, Wo],
//! Ho = (H + 2 pad - k) / stride + 1 (floor), as PyTorch's `Conv2d(k, stride, padding)`.
//! LPIPS's AlexNet needs 11x11 stride 4 pad 2.
//!
//! `conv2d_general` runs the fast kernels of `conv2d` where they apply (stride 1, pad k/2,
//! k = 1, 3, 5) and otherwise plain kernels on storage buffers: the forward computes 8 output
//! channels x 4 columns per lane (shaders/conv2d_general_forward.wgsl); the input and weight
//! gradients are gathers with one element per lane (conv2d_general_backward_input.wgsl,
//! conv2d_general_backward_weight.wgsl; deterministic, no atomics); the bias gradient is
//! conv2d's. These plain kernels bind whole tensors: a tensor over one storage binding is a
//! typed limit error, not a split launch (they serve inference on images, not training).

use crate::autograd;
use crate::error::{shape_err, Error, Result};
use crate::gpu::params::{entry, Conv2dGeneralForwardParams, KernelParams};
use crate::gpu::{shaders, Launch, Shader};
use crate::ops::conv2d;
use crate::tensor::{grid_for, Tensor};

/// Geometry of one general convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneralDims {
    pub n: usize,
    pub cin: usize,
    pub h: usize,
    pub w: usize,
    pub cout: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    pub ho: usize,
    pub wo: usize,
}

impl GeneralDims {
    /// Multiply-adds x 2 of the forward.
    pub fn flops(&self) -> f64 {
        2.0 * (self.n * self.cout * self.cin * self.k * self.k * self.ho * self.wo) as f64
    }
    /// Where conv2d's tiled kernels compute the same thing.
    fn fast_path(&self) -> bool {
        self.stride == 1 && self.pad == self.k / 2 && [1, 3, 5].contains(&self.k)
    }
    fn params(&self, total: usize, has_bias: bool) -> Conv2dGeneralForwardParams {
        let u = |v: usize| v as u32;
        Conv2dGeneralForwardParams {
            n: u(self.n),
            cin: u(self.cin),
            h: u(self.h),
            w: u(self.w),
            cout: u(self.cout),
            k: u(self.k),
            stride: u(self.stride),
            pad: u(self.pad),
            ho: u(self.ho),
            wo: u(self.wo),
            total: u(total),
            has_bias: has_bias as u32,
        }
    }
}

/// Check shapes, stride and padding; the output size.
pub fn general_dims(
    op: &str,
    x: &[usize],
    w: &[usize],
    b: Option<&[usize]>,
    stride: usize,
    pad: usize,
) -> Result<GeneralDims> {
    let mut shapes: Vec<&[usize]> = vec![x, w];
    if let Some(b) = b {
        shapes.push(b);
    }
    let err = |detail: String| shape_err(op, &shapes, detail);
    let (&[n, cin, h, wd], &[cout, wcin, kh, kw]) = (x, w) else {
        return Err(err(
            "x must be 4-D [N, Cin, H, W] and w 4-D [Cout, Cin, k, k]".into(),
        ));
    };
    if x.contains(&0) || w.contains(&0) {
        return Err(err("zero-sized tensor".into()));
    }
    if kh != kw {
        return Err(Error::Unsupported {
            op: op.into(),
            detail: format!("kernel {kh}x{kw}: only square kernels are supported"),
        });
    }
    if stride == 0 {
        return Err(Error::Unsupported {
            op: op.into(),
            detail: "stride 0".into(),
        });
    }
    if wcin != cin {
        return Err(err(format!("x has {cin} channels but w expects {wcin}")));
    }
    if let Some(b) = b {
        if b != [cout] {
            return Err(err(format!("bias must have shape [{cout}]")));
        }
    }
    if h + 2 * pad < kh || wd + 2 * pad < kh {
        return Err(err(format!(
            "the {kh}x{kh} kernel is larger than the padded input {}x{}",
            h + 2 * pad,
            wd + 2 * pad
        )));
    }
    Ok(GeneralDims {
        n,
        cin,
        h,
        w: wd,
        cout,
        k: kh,
        stride,
        pad,
        ho: (h + 2 * pad - kh) / stride + 1,
        wo: (wd + 2 * pad - kh) / stride + 1,
    })
}

fn launch(
    op: &str,
    d: &GeneralDims,
    shader: &'static Shader,
    entry: &'static str,
    out_shape: &[usize],
    ins: &[&Tensor],
    flag: bool,
) -> Result<Tensor> {
    let gpu = ins[0].gpu();
    gpu.count_flops(d.flops());
    let out = Tensor::empty(gpu, op, out_shape)?;
    // The forward kernel's lanes compute 8 channels x 4 columns each.
    let total = if entry == entry::CONV2D_GENERAL_FORWARD {
        d.n * d.cout.div_ceil(8) * d.ho * d.wo.div_ceil(4)
    } else {
        out.numel()
    };
    if total > u32::MAX as usize || ins.iter().any(|t| t.numel() > u32::MAX as usize) {
        return Err(Error::Limit {
            op: op.into(),
            shapes: format!("{out_shape:?}"),
            detail: "more than 2^32 elements".into(),
        });
    }
    let shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape()).collect();
    let mut binds = vec![out.bind()];
    binds.extend(ins.iter().map(|t| t.bind()));
    gpu.launch(Launch {
        op,
        shapes: &shapes,
        shader,
        entry,
        overrides: &[],
        params: d.params(total, flag).words(),
        binds: &binds,
        workgroups: grid_for(gpu, total, 64),
    })?;
    Ok(out)
}

/// The plain forward kernel (whatever the geometry; `conv2d_general` picks the fast one).
pub fn conv2d_general_forward(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    pad: usize,
) -> Result<Tensor> {
    let op = "conv2d_general_forward";
    let d = general_dims(op, x.shape(), w.shape(), b.map(|b| b.shape()), stride, pad)?;
    let placeholder;
    let bias = match b {
        Some(b) => b,
        None => {
            placeholder = Tensor::zeros(x.gpu(), &[1])?;
            &placeholder
        }
    };
    launch(
        op,
        &d,
        &shaders::CONV2D_GENERAL_FORWARD,
        entry::CONV2D_GENERAL_FORWARD,
        &[d.n, d.cout, d.ho, d.wo],
        &[x, w, bias],
        b.is_some(),
    )
}

/// dx [N, Cin, H, W] from dout [N, Cout, Ho, Wo] and w.
pub fn conv2d_general_backward_input(dout: &Tensor, w: &Tensor, d: &GeneralDims) -> Result<Tensor> {
    let op = "conv2d_general_backward_input";
    check_dout(op, dout, d)?;
    launch(
        op,
        d,
        &shaders::CONV2D_GENERAL_BACKWARD_INPUT,
        entry::CONV2D_GENERAL_BACKWARD_INPUT,
        &[d.n, d.cin, d.h, d.w],
        &[dout, w],
        false,
    )
}

/// dw [Cout, Cin, k, k] from x and dout.
pub fn conv2d_general_backward_weight(
    x: &Tensor,
    dout: &Tensor,
    d: &GeneralDims,
) -> Result<Tensor> {
    let op = "conv2d_general_backward_weight";
    check_dout(op, dout, d)?;
    launch(
        op,
        d,
        &shaders::CONV2D_GENERAL_BACKWARD_WEIGHT,
        entry::CONV2D_GENERAL_BACKWARD_WEIGHT,
        &[d.cout, d.cin, d.k, d.k],
        &[x, dout],
        false,
    )
}

fn check_dout(op: &str, dout: &Tensor, d: &GeneralDims) -> Result<()> {
    if dout.shape() != [d.n, d.cout, d.ho, d.wo] {
        return Err(shape_err(
            op,
            &[dout.shape()],
            format!("dout must be [{}, {}, {}, {}]", d.n, d.cout, d.ho, d.wo),
        ));
    }
    Ok(())
}

/// Differentiable convolution with any square kernel, stride and zero padding; conv2d's fast
/// kernels where they apply.
pub fn conv2d_general(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    pad: usize,
) -> Result<Tensor> {
    let d = general_dims(
        "conv2d_general",
        x.shape(),
        w.shape(),
        b.map(|b| b.shape()),
        stride,
        pad,
    )?;
    if d.fast_path() {
        return conv2d::conv2d(x, w, b);
    }
    let out = conv2d_general_forward(x, w, b, stride, pad)?;
    let (sx, sw) = (x.detach(), w.detach());
    let mut inputs = vec![x, w];
    if let Some(b) = b {
        inputs.push(b);
    }
    let nin = inputs.len();
    autograd::record("conv2d_general", &inputs, &out, move |dout, needs| {
        let mut g = vec![
            needs[0]
                .then(|| conv2d_general_backward_input(dout, &sw, &d))
                .transpose()?,
            needs[1]
                .then(|| conv2d_general_backward_weight(&sx, dout, &d))
                .transpose()?,
        ];
        if nin > 2 {
            g.push(
                needs[2]
                    .then(|| conv2d::conv2d_backward_bias(dout))
                    .transpose()?,
            );
        }
        Ok(g)
    });
    Ok(out)
}

/// f64 CPU reference (NCHW).
pub mod reference {
    /// y[n, o, oy, ox] = b[o] + sum over i, ky, kx of w[o, i, ky, kx] x[n, i, oy s - p + ky, ox s - p + kx],
    /// zero outside the image. Returns y and its shape [N, Cout, Ho, Wo].
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        x: &[f64],
        [n, cin, h, w]: [usize; 4],
        wt: &[f64],
        cout: usize,
        k: usize,
        b: Option<&[f64]>,
        stride: usize,
        pad: usize,
    ) -> (Vec<f64>, [usize; 4]) {
        let ho = (h + 2 * pad - k) / stride + 1;
        let wo = (w + 2 * pad - k) / stride + 1;
        let mut y = vec![0.0; n * cout * ho * wo];
        for nb in 0..n {
            for o in 0..cout {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut s = b.map_or(0.0, |b| b[o]);
                        for i in 0..cin {
                            for ky in 0..k {
                                let iy = (oy * stride + ky) as isize - pad as isize;
                                if iy < 0 || iy >= h as isize {
                                    continue;
                                }
                                for kx in 0..k {
                                    let ix = (ox * stride + kx) as isize - pad as isize;
                                    if ix < 0 || ix >= w as isize {
                                        continue;
                                    }
                                    s += wt[((o * cin + i) * k + ky) * k + kx]
                                        * x[((nb * cin + i) * h + iy as usize) * w + ix as usize];
                                }
                            }
                        }
                        y[((nb * cout + o) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        (y, [n, cout, ho, wo])
    }
}
