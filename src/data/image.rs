//! The image type shared by the data layer: HWC, f32, values nominally in [0, 1].

/// An image in HWC order, `data.len() == h * w * c`, values nominally in [0, 1]
/// (intermediate results of bicubic resizing or noise may leave the range until clamped).
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Image {
    pub fn zeros(h: usize, w: usize, c: usize) -> Image {
        Image {
            h,
            w,
            c,
            data: vec![0.0; h * w * c],
        }
    }

    /// From 8-bit values (HWC), scaled by 1/255.
    pub fn from_u8(h: usize, w: usize, c: usize, v: &[u8]) -> Image {
        assert_eq!(
            v.len(),
            h * w * c,
            "Image::from_u8: length does not match {h}x{w}x{c}"
        );
        Image {
            h,
            w,
            c,
            data: v.iter().map(|&x| x as f32 / 255.0).collect(),
        }
    }

    /// Rounded and clamped to 8-bit (round half away from zero, as numpy/torch `round` on
    /// non-ties; ties are rare on real data).
    pub fn to_u8(&self) -> Vec<u8> {
        self.data.iter().map(|&x| to_u8(x)).collect()
    }

    /// Round to the 8-bit grid in place (clamped to [0, 1]).
    pub fn quantize(&mut self) {
        for x in &mut self.data {
            *x = to_u8(*x) as f32 / 255.0;
        }
    }

    pub fn clamp01(&mut self) {
        for x in &mut self.data {
            *x = x.clamp(0.0, 1.0);
        }
    }

    pub fn at(&self, y: usize, x: usize, ch: usize) -> f32 {
        self.data[(y * self.w + x) * self.c + ch]
    }

    /// The region `[y, y + h) x [x, x + w)`; panics if it leaves the image (callers check).
    pub fn crop(&self, y: usize, x: usize, h: usize, w: usize) -> Image {
        assert!(y + h <= self.h && x + w <= self.w, "crop outside the image");
        let c = self.c;
        let mut data = Vec::with_capacity(h * w * c);
        for r in y..y + h {
            let s = (r * self.w + x) * c;
            data.extend_from_slice(&self.data[s..s + w * c]);
        }
        Image { h, w, c, data }
    }

    /// Mirror left-right.
    pub fn flip_h(&self) -> Image {
        let mut out = self.clone();
        let c = self.c;
        for y in 0..self.h {
            for x in 0..self.w {
                let s = (y * self.w + (self.w - 1 - x)) * c;
                let d = (y * self.w + x) * c;
                out.data[d..d + c].copy_from_slice(&self.data[s..s + c]);
            }
        }
        out
    }

    /// Mirror top-bottom.
    pub fn flip_v(&self) -> Image {
        let mut out = self.clone();
        let row = self.w * self.c;
        for y in 0..self.h {
            let s = (self.h - 1 - y) * row;
            out.data[y * row..(y + 1) * row].copy_from_slice(&self.data[s..s + row]);
        }
        out
    }

    /// Swap the spatial axes (with flips, gives the 90-degree rotations).
    pub fn transpose(&self) -> Image {
        let c = self.c;
        let mut out = Image::zeros(self.w, self.h, c);
        for y in 0..self.h {
            for x in 0..self.w {
                let s = (y * self.w + x) * c;
                let d = (x * self.h + y) * c;
                out.data[d..d + c].copy_from_slice(&self.data[s..s + c]);
            }
        }
        out
    }

    /// An image from CHW-ordered values (the inverse of `write_chw`).
    pub fn from_chw(c: usize, h: usize, w: usize, chw: &[f32]) -> Image {
        let hw = h * w;
        assert_eq!(chw.len(), hw * c);
        let mut data = vec![0f32; hw * c];
        for (p, px) in data.chunks_exact_mut(c).enumerate() {
            for (ch, v) in px.iter_mut().enumerate() {
                *v = chw[ch * hw + p];
            }
        }
        Image { h, w, c, data }
    }

    /// Write the image in CHW order into `out` (`out.len() == c * h * w`).
    pub fn write_chw(&self, out: &mut [f32]) {
        let hw = self.h * self.w;
        assert_eq!(out.len(), hw * self.c);
        for (p, px) in self.data.chunks_exact(self.c).enumerate() {
            for (ch, &v) in px.iter().enumerate() {
                out[ch * hw + p] = v;
            }
        }
    }
}

/// One value to 8-bit: clamp to [0, 1], scale by 255, round.
pub(crate) fn to_u8(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0).round() as u8
}
