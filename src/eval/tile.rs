//! Tiled inference: an image larger than memory allows is upscaled tile by tile, each tile
//! grown by an overlap on every side so that the pixels kept from it saw the same context as
//! in a whole-image pass. With an overlap at least the model's receptive radius, tiled and
//! whole-image outputs agree up to float rounding. For windowed models (SwinIR) tiles and
//! overlaps are multiples of the window, so windows stay aligned with the whole image's.

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::Gpu;
use crate::models::SrModel;
use crate::tensor::Tensor;

/// A CHW f32 image.
#[derive(Clone, Debug)]
pub struct Chw {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub data: Vec<f32>,
}

/// Upscale a CHW image with `model`; `tile` (LR pixels per side) splits the work, `overlap`
/// (LR pixels) is added around each tile. `progress(done, total)` is called after each tile.
pub fn upscale(
    gpu: &Gpu,
    model: &dyn SrModel,
    img: &Chw,
    tile: Option<usize>,
    overlap: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Chw> {
    let _ng = autograd::no_grad();
    let s = model.scale();
    let (c, h, w) = (img.c, img.h, img.w);
    let win = model.window();
    if h < win.max(1) || w < win.max(1) {
        return Err(shape_err(
            model.arch(),
            &[&[c, h, w]],
            format!("image smaller than one window ({win}x{win})"),
        ));
    }
    let run = |y0: usize, x0: usize, th: usize, tw: usize| -> Result<Vec<f32>> {
        let mut buf = Vec::with_capacity(c * th * tw);
        for ch in 0..c {
            for y in y0..y0 + th {
                let row = (ch * h + y) * w;
                buf.extend_from_slice(&img.data[row + x0..row + x0 + tw]);
            }
        }
        let x = Tensor::from_slice(gpu, &[1, c, th, tw], &buf)?;
        model.forward(&x)?.out.to_vec()
    };
    let Some(t) = tile.filter(|t| *t < h.max(w)) else {
        let data = run(0, 0, h, w)?;
        progress(1, 1);
        return Ok(Chw {
            c,
            h: h * s,
            w: w * s,
            data,
        });
    };
    if t == 0 || t % win.max(1) != 0 {
        return Err(unsupported(
            model.arch(),
            format!("tile size {t} must be a positive multiple of the window {win}"),
        ));
    }
    // More context than the image holds changes nothing; clamping first keeps the sums below
    // from overflowing whatever overlap a caller passes.
    let ov = overlap.min(h.max(w)).div_ceil(win.max(1)) * win.max(1);
    let (oh, ow) = (h * s, w * s);
    let mut out = vec![0f32; c * oh * ow];
    let ny = h.div_ceil(t);
    let nx = w.div_ceil(t);
    for ty in 0..ny {
        for tx in 0..nx {
            // The core this tile is responsible for, then the region read around it.
            let (cy0, cx0) = (ty * t, tx * t);
            let (cy1, cx1) = ((cy0 + t).min(h), (cx0 + t).min(w));
            let ry0 = cy0.saturating_sub(ov);
            let rx0 = cx0.saturating_sub(ov);
            let ry1 = (cy1 + ov).min(h);
            let rx1 = (cx1 + ov).min(w);
            let (rh, rw) = (ry1 - ry0, rx1 - rx0);
            let y = run(ry0, rx0, rh, rw)?;
            let (yh, yw) = (rh * s, rw * s);
            for ch in 0..c {
                for oy in cy0 * s..cy1 * s {
                    let src = (ch * yh + (oy - ry0 * s)) * yw + (cx0 - rx0) * s;
                    let dst = (ch * oh + oy) * ow + cx0 * s;
                    let n = (cx1 - cx0) * s;
                    out[dst..dst + n].copy_from_slice(&y[src..src + n]);
                }
            }
            progress(ty * nx + tx + 1, ny * nx);
        }
    }
    Ok(Chw {
        c,
        h: oh,
        w: ow,
        data: out,
    })
}
