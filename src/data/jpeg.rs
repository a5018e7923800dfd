//! Baseline JPEG, written by hand to reproduce libjpeg-turbo's default path bit for bit, as
//! Pillow (`Image.save(f, "JPEG", quality=q)`, `Image.open`) and OpenCV (`cv2.imencode` /
//! `cv2.imdecode` at their default settings) use it: the test degradations of Kong et al. and
//! the training JPEG step are then the very bytes and pixels those tools make.
//!
//! Encoder (`encode`): quality scaling of the standard tables (jcparam.c, force_baseline),
//! fixed-point RGB -> YCbCr (jccolor.c), 4:2:0 with the alternating-bias box downsampling
//! (jcsample.c h2v2), edge replication to whole blocks and dummy blocks at the right and bottom
//! of the last MCUs (jcprepct.c, jccoefct.c), the accurate integer DCT (jfdctint.c),
//! quantisation by rounded division (jcdctmgr.c), the standard Huffman tables (no
//! optimisation), and the marker layout Pillow writes (JFIF 1.01 APP0 without density, one DQT
//! and one DHT marker per table). Gray images: one component.
//!
//! Decoder (`decode`): baseline Huffman, 8-bit, 1 or 3 components (restart markers handled),
//! the accurate integer IDCT (jidctint.c), "fancy" (triangular) upsampling for h2v2 and h2v1
//! chroma (jdsample.c; the path Pillow and OpenCV take, as do_fancy_upsampling is on), the
//! fixed-point YCbCr -> RGB tables (jdcolor.c) and clamping to 8 bits. Entropy data that ends
//! early is an error (libjpeg would pad it with zeros). Progressive, arithmetic-coded, 12-bit
//! and CMYK files are refused with an error; `io` reads those through the `image` crate.
//!
//! CPU only, no dependency on the rest of sralign except `Image` for the round trip.

use super::Image;
use anyhow::{bail, ensure, Result};

/// JPEG round trip at `quality` (1..=100) as Pillow does it (encode, then decode). Gray
/// (c = 1) and RGB (c = 3) images; the input is clamped and rounded to 8-bit first.
pub fn jpeg(img: &Image, quality: u8) -> Result<Image> {
    let bytes = encode(&img.to_u8(), img.h, img.w, img.c, quality)?;
    let d = decode(&bytes)?;
    Ok(Image::from_u8(d.h, d.w, d.c, &d.data))
}

/// A decoded image: 8-bit HWC, `c` = 1 (gray) or 3 (RGB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<u8>,
}

/// Natural (row-major) index of the k-th coefficient in zigzag order (jpeg_natural_order).
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// ITU-T T.81 Annex K.1 and K.2 quantisation tables, natural order.
const STD_LUMA_Q: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const STD_CHROMA_Q: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// Annex K.3-K.6 Huffman tables: code counts per length 1..=16, then symbols.
const DC_LUMA_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMA_BITS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMA_VALS: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
];
const AC_CHROMA_BITS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALS: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
    0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
];

/// The quantisation table (natural order) for `quality` (jpeg_set_quality with
/// force_baseline): scale 5000/q below 50, else 200 - 2q, percent of the standard table,
/// rounded, clamped to 1..=255.
pub fn quant_table(quality: u8, chroma: bool) -> [u16; 64] {
    let q = quality.clamp(1, 100) as i64;
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let base = if chroma { &STD_CHROMA_Q } else { &STD_LUMA_Q };
    let mut t = [0u16; 64];
    for (o, &b) in t.iter_mut().zip(base) {
        *o = ((b as i64 * scale + 50) / 100).clamp(1, 255) as u16;
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Fixed-point constants (libjpeg's FIX(x) = round(x * 2^bits)).

/// FIX with 16 fractional bits (colour conversion).
const fn fix16(x: f64) -> i32 {
    (x * 65536.0 + 0.5) as i32
}

// Integer DCT constants, 13 fractional bits (jfdctint.c / jidctint.c).
const CONST_BITS: i32 = 13;
const PASS1_BITS: i32 = 2;
const F0_298: i32 = 2446;
const F0_390: i32 = 3196;
const F0_541: i32 = 4433;
const F0_765: i32 = 6270;
const F0_899: i32 = 7373;
const F1_175: i32 = 9633;
const F1_501: i32 = 12299;
const F1_847: i32 = 15137;
const F1_961: i32 = 16069;
const F2_053: i32 = 16819;
const F2_562: i32 = 20995;
const F3_072: i32 = 25172;

#[inline]
fn descale(x: i32, n: i32) -> i32 {
    (x + (1 << (n - 1))) >> n
}

// ---------------------------------------------------------------------------------------------
// Encoder

/// The accurate integer forward DCT (jfdctint.c) of one block of level-shifted samples, in
/// place; outputs are scaled by 8 as libjpeg's quantiser expects.
fn fdct_islow(d: &mut [i32; 64]) {
    for r in 0..8 {
        let p = &mut d[r * 8..r * 8 + 8];
        let (t0, t7) = (p[0] + p[7], p[0] - p[7]);
        let (t1, t6) = (p[1] + p[6], p[1] - p[6]);
        let (t2, t5) = (p[2] + p[5], p[2] - p[5]);
        let (t3, t4) = (p[3] + p[4], p[3] - p[4]);
        let (t10, t13, t11, t12) = (t0 + t3, t0 - t3, t1 + t2, t1 - t2);
        p[0] = (t10 + t11) << PASS1_BITS;
        p[4] = (t10 - t11) << PASS1_BITS;
        let z1 = (t12 + t13) * F0_541;
        p[2] = descale(z1 + t13 * F0_765, CONST_BITS - PASS1_BITS);
        p[6] = descale(z1 - t12 * F1_847, CONST_BITS - PASS1_BITS);
        let [o7, o5, o3, o1] = fdct_odd(t4, t5, t6, t7);
        p[7] = descale(o7, CONST_BITS - PASS1_BITS);
        p[5] = descale(o5, CONST_BITS - PASS1_BITS);
        p[3] = descale(o3, CONST_BITS - PASS1_BITS);
        p[1] = descale(o1, CONST_BITS - PASS1_BITS);
    }
    for c in 0..8 {
        let g = |k: usize| d[k * 8 + c];
        let (t0, t7) = (g(0) + g(7), g(0) - g(7));
        let (t1, t6) = (g(1) + g(6), g(1) - g(6));
        let (t2, t5) = (g(2) + g(5), g(2) - g(5));
        let (t3, t4) = (g(3) + g(4), g(3) - g(4));
        let (t10, t13, t11, t12) = (t0 + t3, t0 - t3, t1 + t2, t1 - t2);
        let n = CONST_BITS + PASS1_BITS;
        d[c] = descale(t10 + t11, PASS1_BITS);
        d[32 + c] = descale(t10 - t11, PASS1_BITS);
        let z1 = (t12 + t13) * F0_541;
        d[16 + c] = descale(z1 + t13 * F0_765, n);
        d[48 + c] = descale(z1 - t12 * F1_847, n);
        let [o7, o5, o3, o1] = fdct_odd(t4, t5, t6, t7);
        d[56 + c] = descale(o7, n);
        d[40 + c] = descale(o5, n);
        d[24 + c] = descale(o3, n);
        d[8 + c] = descale(o1, n);
    }
}

/// Odd part of the forward DCT: the undescaled outputs 7, 5, 3, 1.
#[inline]
fn fdct_odd(t4: i32, t5: i32, t6: i32, t7: i32) -> [i32; 4] {
    let z5 = (t4 + t6 + t5 + t7) * F1_175;
    let z1 = -(t4 + t7) * F0_899;
    let z2 = -(t5 + t6) * F2_562;
    let z3 = -(t4 + t6) * F1_961 + z5;
    let z4 = -(t5 + t7) * F0_390 + z5;
    [
        t4 * F0_298 + z1 + z3,
        t5 * F2_053 + z2 + z4,
        t6 * F3_072 + z2 + z3,
        t7 * F1_501 + z1 + z4,
    ]
}

/// Quantise a DCT output (scaled by 8) by `divisor` = 8 x table entry: round half away from
/// zero, as libjpeg's division. libjpeg-turbo multiplies by a reciprocal instead
/// (compute_reciprocal, 16-bit in its SIMD builds, 32-bit otherwise); both give this result
/// for every |x| < 2^15 and every baseline table entry (checked exhaustively).
#[inline]
fn quantize(x: i32, divisor: i32) -> i32 {
    let v = (x.abs() + divisor / 2) / divisor;
    if x < 0 {
        -v
    } else {
        v
    }
}

/// Canonical Huffman codes (code, length) indexed by symbol (jpeg_make_c_derived_tbl).
fn huff_codes(bits: &[u8; 16], vals: &[u8]) -> [(u16, u8); 256] {
    let mut out = [(0u16, 0u8); 256];
    let mut code: u32 = 0;
    let mut k = 0;
    for (l, &n) in bits.iter().enumerate() {
        for _ in 0..n {
            out[vals[k] as usize] = (code as u16, l as u8 + 1);
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    out
}

/// Bit writer with 0xFF byte stuffing.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    #[inline]
    fn put(&mut self, code: u32, size: u32) {
        if size == 0 {
            return;
        }
        self.acc = (self.acc << size) | (code as u64 & ((1u64 << size) - 1));
        self.n += size;
        while self.n >= 8 {
            self.n -= 8;
            let b = (self.acc >> self.n) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
    }
    /// Pad the last byte with 1-bits (libjpeg's flush_bits).
    fn flush(&mut self) {
        self.put(0x7F, 7);
        self.acc = 0;
        self.n = 0;
    }
}

struct HuffEnc {
    dc: [(u16, u8); 256],
    ac: [(u16, u8); 256],
}

/// Number of bits of |v| (0 for 0).
#[inline]
fn nbits(v: i32) -> u32 {
    32 - v.unsigned_abs().leading_zeros()
}

fn encode_block(bw: &mut BitWriter, blk: &[i32; 64], last_dc: &mut i32, h: &HuffEnc) {
    let diff = blk[0] - *last_dc;
    *last_dc = blk[0];
    let nb = nbits(diff);
    let (c, l) = h.dc[nb as usize];
    bw.put(c as u32, l as u32);
    // Negative values are sent as v - 1 in nb bits (ones' complement).
    bw.put((if diff < 0 { diff - 1 } else { diff }) as u32, nb);
    let mut run = 0;
    for &zz in &ZIGZAG[1..] {
        let v = blk[zz];
        if v == 0 {
            run += 1;
            continue;
        }
        while run > 15 {
            let (c, l) = h.ac[0xF0];
            bw.put(c as u32, l as u32);
            run -= 16;
        }
        let nb = nbits(v);
        let (c, l) = h.ac[((run << 4) + nb) as usize];
        bw.put(c as u32, l as u32);
        bw.put((if v < 0 { v - 1 } else { v }) as u32, nb);
        run = 0;
    }
    if run > 0 {
        let (c, l) = h.ac[0];
        bw.put(c as u32, l as u32);
    }
}

/// One component plane ready for the DCT: padded to whole blocks by edge replication.
struct Plane {
    w: usize,
    data: Vec<u8>,
}

fn rgb_to_ycc(px: &[u8]) -> [u8; 3] {
    let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
    const HALF: i32 = 1 << 15;
    let y = (fix16(0.29900) * r + fix16(0.58700) * g + fix16(0.11400) * b + HALF) >> 16;
    let cb =
        (-fix16(0.16874) * r - fix16(0.33126) * g + fix16(0.5) * b + (128 << 16) + HALF - 1) >> 16;
    let cr =
        (fix16(0.5) * r - fix16(0.41869) * g - fix16(0.08131) * b + (128 << 16) + HALF - 1) >> 16;
    [y as u8, cb as u8, cr as u8]
}

/// Encode 8-bit HWC pixels (c = 1 gray or c = 3 RGB) as a baseline JPEG, byte for byte as
/// Pillow with libjpeg-turbo does at `quality` (4:2:0 for RGB, standard Huffman tables).
pub fn encode(px: &[u8], h: usize, w: usize, c: usize, quality: u8) -> Result<Vec<u8>> {
    ensure!(
        (1..=100).contains(&quality),
        "jpeg: quality {quality} outside 1..=100"
    );
    ensure!(c == 1 || c == 3, "jpeg: {c} channels (1 or 3 expected)");
    ensure!(
        (1..=65535).contains(&h) && (1..=65535).contains(&w),
        "jpeg: size {w}x{h} outside 1..=65535"
    );
    ensure!(
        px.len() == h * w * c,
        "jpeg: {} bytes for {w}x{h}x{c}",
        px.len()
    );
    let color = c == 3;
    // Full-resolution component planes, unpadded.
    let mut full: Vec<Vec<u8>> = vec![Vec::with_capacity(h * w); c];
    if color {
        for p in px.chunks_exact(3) {
            let ycc = rgb_to_ycc(p);
            for k in 0..3 {
                full[k].push(ycc[k]);
            }
        }
    } else {
        full[0].extend_from_slice(px);
    }
    let (hmax, vmax) = if color { (2, 2) } else { (1, 1) };
    let mcux = w.div_ceil(8 * hmax);
    let mcuy = h.div_ceil(8 * vmax);
    // Luma: replicate the last column to whole blocks, the last row to whole MCUs.
    let yw = w.div_ceil(8) * 8;
    let yh = mcuy * 8 * vmax;
    let mut planes = Vec::with_capacity(c);
    let mut luma = vec![0u8; yw * yh];
    for y in 0..yh {
        let src = &full[0][y.min(h - 1) * w..][..w];
        let row = &mut luma[y * yw..(y + 1) * yw];
        row[..w].copy_from_slice(src);
        let last = src[w - 1];
        row[w..].fill(last);
    }
    planes.push(Plane { w: yw, data: luma });
    if color {
        // Chroma: the full-resolution plane is widened to 16 * MCUs by replicating the last
        // column and to an even height by replicating the last row, box-downsampled with the
        // bias alternating 1, 2, 1, ... along each row, then the last downsampled row is
        // replicated to whole MCUs.
        let cw = mcux * 8;
        let ch_real = h.div_ceil(2);
        let ch = mcuy * 8;
        for plane in &full[1..] {
            let at = |y: usize, x: usize| plane[y.min(h - 1) * w + x.min(w - 1)] as u32;
            let mut d = vec![0u8; cw * ch];
            for y in 0..ch {
                let sy = y.min(ch_real - 1);
                for x in 0..cw {
                    let bias = if x % 2 == 0 { 1 } else { 2 };
                    let s = at(2 * sy, 2 * x)
                        + at(2 * sy, 2 * x + 1)
                        + at(2 * sy + 1, 2 * x)
                        + at(2 * sy + 1, 2 * x + 1);
                    d[y * cw + x] = ((s + bias) >> 2) as u8;
                }
            }
            planes.push(Plane { w: cw, data: d });
        }
    }
    // Components: (h, v) sampling, quantiser, real width/height in blocks.
    let tables = [quant_table(quality, false), quant_table(quality, true)];
    let divisors: Vec<[i32; 64]> = tables
        .iter()
        .map(|t| std::array::from_fn(|i| 8 * t[i] as i32))
        .collect();
    let samp = |k: usize| if k == 0 { (hmax, vmax) } else { (1, 1) };
    let huff = [
        HuffEnc {
            dc: huff_codes(&DC_LUMA_BITS, &DC_VALS),
            ac: huff_codes(&AC_LUMA_BITS, &AC_LUMA_VALS),
        },
        HuffEnc {
            dc: huff_codes(&DC_CHROMA_BITS, &DC_VALS),
            ac: huff_codes(&AC_CHROMA_BITS, &AC_CHROMA_VALS),
        },
    ];

    let mut out = Vec::with_capacity(1024 + h * w * c / 4);
    write_headers(&mut out, h, w, c, &tables);
    let mut bw = BitWriter { out, acc: 0, n: 0 };
    let mut last_dc = vec![0i32; c];
    let mut ws = [0i32; 64];
    let mut mcu_blocks: Vec<[i32; 64]> = vec![[0; 64]; hmax * vmax];
    for my in 0..mcuy {
        for mx in 0..mcux {
            for k in 0..c {
                let (hs, vs) = samp(k);
                let pl = &planes[k];
                let tbl = &divisors[(k > 0) as usize];
                // Real blocks of the component: ceil(component size / 8).
                let (bw_real, bh_real) = if k == 0 {
                    (w.div_ceil(8), h.div_ceil(8))
                } else {
                    (w.div_ceil(2).div_ceil(8), h.div_ceil(2).div_ceil(8))
                };
                for by in 0..vs {
                    for bx in 0..hs {
                        let gx = mx * hs + bx;
                        let gy = my * vs + by;
                        let i = by * hs + bx;
                        if gy >= bh_real {
                            // A row of dummy blocks at the bottom: DC of the block before.
                            let dc = mcu_blocks[i - bx - 1][0];
                            mcu_blocks[i] = [0; 64];
                            mcu_blocks[i][0] = dc;
                            continue;
                        }
                        if gx >= bw_real {
                            let dc = mcu_blocks[i - 1][0];
                            mcu_blocks[i] = [0; 64];
                            mcu_blocks[i][0] = dc;
                            continue;
                        }
                        for r in 0..8 {
                            let row = &pl.data[(gy * 8 + r) * pl.w + gx * 8..][..8];
                            for (o, &s) in ws[r * 8..r * 8 + 8].iter_mut().zip(row) {
                                *o = s as i32 - 128;
                            }
                        }
                        fdct_islow(&mut ws);
                        let blk = &mut mcu_blocks[i];
                        for j in 0..64 {
                            blk[j] = quantize(ws[j], tbl[j]);
                        }
                    }
                }
                let hf = &huff[(k > 0) as usize];
                for blk in &mcu_blocks[..hs * vs] {
                    encode_block(&mut bw, blk, &mut last_dc[k], hf);
                }
            }
        }
    }
    bw.flush();
    let mut out = bw.out;
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

fn write_headers(out: &mut Vec<u8>, h: usize, w: usize, c: usize, tables: &[[u16; 64]; 2]) {
    out.extend_from_slice(&[0xFF, 0xD8]);
    // JFIF 1.01, no units, 1:1 density, no thumbnail.
    out.extend_from_slice(&[
        0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    let ntables = if c == 3 { 2 } else { 1 };
    for (id, t) in tables.iter().enumerate().take(ntables) {
        out.extend_from_slice(&[0xFF, 0xDB, 0, 67, id as u8]);
        out.extend(ZIGZAG.iter().map(|&z| t[z] as u8));
    }
    out.extend_from_slice(&[0xFF, 0xC0]);
    out.extend_from_slice(&((8 + 3 * c) as u16).to_be_bytes());
    out.push(8);
    out.extend_from_slice(&(h as u16).to_be_bytes());
    out.extend_from_slice(&(w as u16).to_be_bytes());
    out.push(c as u8);
    if c == 3 {
        out.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    } else {
        out.extend_from_slice(&[1, 0x11, 0]);
    }
    let dht: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &DC_LUMA_BITS, &DC_VALS),
        (0x10, &AC_LUMA_BITS, &AC_LUMA_VALS),
        (0x01, &DC_CHROMA_BITS, &DC_VALS),
        (0x11, &AC_CHROMA_BITS, &AC_CHROMA_VALS),
    ];
    for (class_id, bits, vals) in dht.iter().take(2 * ntables) {
        out.extend_from_slice(&[0xFF, 0xC4]);
        out.extend_from_slice(&((2 + 1 + 16 + vals.len()) as u16).to_be_bytes());
        out.push(*class_id);
        out.extend_from_slice(*bits);
        out.extend_from_slice(vals);
    }
    out.extend_from_slice(&[0xFF, 0xDA]);
    out.extend_from_slice(&((6 + 2 * c) as u16).to_be_bytes());
    out.push(c as u8);
    if c == 3 {
        out.extend_from_slice(&[1, 0x00, 2, 0x11, 3, 0x11]);
    } else {
        out.extend_from_slice(&[1, 0x00]);
    }
    out.extend_from_slice(&[0, 63, 0]);
}

// ---------------------------------------------------------------------------------------------
// Decoder

/// Huffman decoding table: a 9-bit lookahead plus the canonical (maxcode, valptr) slow path.
struct HuffDec {
    /// Indexed by the next 9 bits: (length, symbol); length 0: longer code.
    fast: Vec<(u8, u8)>,
    maxcode: [i32; 18],
    valptr: [i32; 17],
    mincode: [i32; 17],
    vals: Vec<u8>,
}

const LOOKAHEAD: u32 = 9;

impl HuffDec {
    fn new(bits: &[u8; 16], vals: &[u8]) -> Result<HuffDec> {
        let total: usize = bits.iter().map(|&b| b as usize).sum();
        ensure!(
            total <= 256 && total <= vals.len(),
            "jpeg: bad Huffman table"
        );
        let mut fast = vec![(0u8, 0u8); 1 << LOOKAHEAD];
        let mut maxcode = [-1i32; 18];
        let mut valptr = [0i32; 17];
        let mut mincode = [0i32; 17];
        let mut code: i32 = 0;
        let mut k = 0usize;
        for l in 1..=16usize {
            let n = bits[l - 1] as usize;
            if n > 0 {
                valptr[l] = k as i32;
                mincode[l] = code;
                for _ in 0..n {
                    if l as u32 <= LOOKAHEAD {
                        let shift = LOOKAHEAD - l as u32;
                        let base = (code as usize) << shift;
                        for e in &mut fast[base..base + (1 << shift)] {
                            *e = (l as u8, vals[k]);
                        }
                    }
                    code += 1;
                    k += 1;
                }
                maxcode[l] = code - 1;
            }
            ensure!(
                code <= 1 << l,
                "jpeg: bad Huffman table (code space overflow)"
            );
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        Ok(HuffDec {
            fast,
            maxcode,
            valptr,
            mincode,
            vals: vals[..total].to_vec(),
        })
    }
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    /// A marker or the end of the data was met: zeros are fed from now on.
    hit_marker: bool,
    /// Bits of those zeros in the buffer or consumed (they always follow the real bits).
    fake: u32,
}

impl<'a> BitReader<'a> {
    #[inline]
    fn fill(&mut self) {
        while self.n <= 56 {
            let mut b = 0u8;
            if self.pos >= self.data.len() {
                self.hit_marker = true;
            }
            if !self.hit_marker {
                b = self.data[self.pos];
                if b == 0xFF {
                    let next = self.data.get(self.pos + 1).copied().unwrap_or(0xD9);
                    if next == 0x00 {
                        self.pos += 2;
                    } else {
                        self.hit_marker = true;
                        b = 0;
                    }
                } else {
                    self.pos += 1;
                }
            }
            if self.hit_marker {
                self.fake += 8;
            }
            self.acc |= (b as u64) << (56 - self.n);
            self.n += 8;
        }
    }
    #[inline]
    fn peek(&mut self, k: u32) -> u32 {
        if self.n < k {
            self.fill();
        }
        (self.acc >> (64 - k)) as u32
    }
    #[inline]
    fn skip(&mut self, k: u32) {
        self.acc <<= k;
        self.n -= k;
    }
    #[inline]
    fn bits(&mut self, k: u32) -> u32 {
        if k == 0 {
            return 0;
        }
        let v = self.peek(k);
        self.skip(k);
        v
    }
    fn decode(&mut self, h: &HuffDec) -> Result<u8> {
        let look = self.peek(LOOKAHEAD);
        let (l, s) = h.fast[look as usize];
        if l > 0 {
            self.skip(l as u32);
            return Ok(s);
        }
        let mut l = LOOKAHEAD as usize + 1;
        let mut code = self.peek(l as u32) as i32;
        while l <= 16 && code > h.maxcode[l] {
            l += 1;
            code = self.peek(l as u32) as i32;
        }
        ensure!(l <= 16, "jpeg: corrupt data (bad Huffman code)");
        self.skip(l as u32);
        let idx = (h.valptr[l] + code - h.mincode[l]) as usize;
        h.vals
            .get(idx)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("jpeg: corrupt data (bad Huffman code)"))
    }
    /// Whether bits past the end of the segment were decoded. libjpeg substitutes zeros with a
    /// warning; here that is an error, so a truncated or corrupt file is never taken as whole.
    fn overran(&self) -> bool {
        self.fake > self.n
    }
    /// Drop buffered bits and move to the byte after the next marker (restart handling).
    fn restart(&mut self) -> Result<()> {
        ensure!(
            !self.overran(),
            "jpeg: truncated or corrupt entropy-coded data"
        );
        self.acc = 0;
        self.n = 0;
        self.fake = 0;
        self.hit_marker = false;
        while self.pos + 1 < self.data.len()
            && !(self.data[self.pos] == 0xFF && (0xD0..=0xD7).contains(&self.data[self.pos + 1]))
        {
            self.pos += 1;
        }
        ensure!(
            self.pos + 1 < self.data.len(),
            "jpeg: missing restart marker"
        );
        self.pos += 2;
        Ok(())
    }
}

/// Coefficient times quantiser. Clamped to 16 bits, which valid data never reaches (|value|
/// stays near 1024); corrupt data then cannot overflow the IDCT's 32-bit arithmetic.
#[inline]
fn dequantize(v: i32, q: u16) -> i32 {
    (v as i64 * q as i64).clamp(-32768, 32767) as i32
}

#[inline]
fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < (1 << (s - 1)) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

/// The accurate integer IDCT (jidctint.c) of one dequantised block; writes 8x8 samples
/// clamped to 0..=255.
fn idct_islow(coef: &[i32; 64], out: &mut [u8], stride: usize) {
    let mut ws = [0i32; 64];
    for c in 0..8 {
        let g = |k: usize| coef[k * 8 + c];
        if (1..8).all(|k| g(k) == 0) {
            let dc = g(0) << PASS1_BITS;
            for k in 0..8 {
                ws[k * 8 + c] = dc;
            }
            continue;
        }
        let o = idct_1d(g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7));
        for k in 0..8 {
            ws[k * 8 + c] = descale(o[k], CONST_BITS - PASS1_BITS);
        }
    }
    for r in 0..8 {
        let p = &ws[r * 8..r * 8 + 8];
        let row = &mut out[r * stride..r * stride + 8];
        let o = idct_1d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
        for k in 0..8 {
            let v = descale(o[k], CONST_BITS + PASS1_BITS + 3);
            row[k] = (v + 128).clamp(0, 255) as u8;
        }
    }
}

/// One 1-D pass of the islow IDCT, undescaled (scaled by 2^CONST_BITS).
#[allow(clippy::too_many_arguments)]
#[inline]
fn idct_1d(i0: i32, i1: i32, i2: i32, i3: i32, i4: i32, i5: i32, i6: i32, i7: i32) -> [i32; 8] {
    let z1 = (i2 + i6) * F0_541;
    let tmp2 = z1 - i6 * F1_847;
    let tmp3 = z1 + i2 * F0_765;
    let tmp0 = (i0 + i4) << CONST_BITS;
    let tmp1 = (i0 - i4) << CONST_BITS;
    let (t10, t13, t11, t12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
    let (o0, o1, o2, o3) = (i7, i5, i3, i1);
    let z5 = (o0 + o2 + o1 + o3) * F1_175;
    let z1 = -(o0 + o3) * F0_899;
    let z2 = -(o1 + o2) * F2_562;
    let z3 = -(o0 + o2) * F1_961 + z5;
    let z4 = -(o1 + o3) * F0_390 + z5;
    let t0 = o0 * F0_298 + z1 + z3;
    let t1 = o1 * F2_053 + z2 + z4;
    let t2 = o2 * F3_072 + z2 + z3;
    let t3 = o3 * F1_501 + z1 + z4;
    [
        t10 + t3,
        t11 + t2,
        t12 + t1,
        t13 + t0,
        t13 - t0,
        t12 - t1,
        t11 - t2,
        t10 - t3,
    ]
}

struct Component {
    id: u8,
    hs: usize,
    vs: usize,
    tq: usize,
    td: usize,
    ta: usize,
}

fn be16(d: &[u8], i: usize) -> Result<usize> {
    ensure!(i + 2 <= d.len(), "jpeg: truncated file");
    Ok(u16::from_be_bytes([d[i], d[i + 1]]) as usize)
}

/// Decode a baseline JPEG (1 or 3 components) as libjpeg-turbo does by default (islow IDCT,
/// fancy upsampling); 3 components are YCbCr converted to RGB, unless an Adobe marker (transform
/// 0) or component ids 'R', 'G', 'B' without a JFIF marker say RGB. Unlike libjpeg, data that
/// ends before the last block is an error, not zeros.
pub fn decode(d: &[u8]) -> Result<Decoded> {
    ensure!(
        d.len() >= 4 && d[0] == 0xFF && d[1] == 0xD8,
        "jpeg: not a JPEG file (no SOI)"
    );
    let mut qt: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc: [Option<HuffDec>; 4] = [None, None, None, None];
    let mut ac: [Option<HuffDec>; 4] = [None, None, None, None];
    let mut comps: Vec<Component> = Vec::new();
    let (mut h, mut w) = (0usize, 0usize);
    let mut restart_interval = 0usize;
    let (mut jfif, mut adobe_transform) = (false, None);
    let mut i = 2;
    loop {
        // Skip fill bytes before a marker.
        while i < d.len() && d[i] == 0xFF && i + 1 < d.len() && d[i + 1] == 0xFF {
            i += 1;
        }
        ensure!(i + 4 <= d.len(), "jpeg: truncated file (no scan)");
        ensure!(d[i] == 0xFF, "jpeg: corrupt marker at byte {i}");
        let m = d[i + 1];
        let len = be16(d, i + 2)?;
        ensure!(
            len >= 2 && i + 2 + len <= d.len(),
            "jpeg: truncated segment at byte {i}"
        );
        let seg = &d[i + 4..i + 2 + len];
        match m {
            0xDB => {
                let mut s = seg;
                while !s.is_empty() {
                    let (pq, tq) = ((s[0] >> 4) as usize, (s[0] & 15) as usize);
                    ensure!(tq < 4 && pq < 2, "jpeg: bad quantisation table");
                    let n = if pq == 0 { 64 } else { 128 };
                    ensure!(s.len() > n, "jpeg: truncated quantisation table");
                    let mut t = [0u16; 64];
                    for k in 0..64 {
                        t[ZIGZAG[k]] = if pq == 0 {
                            s[1 + k] as u16
                        } else {
                            u16::from_be_bytes([s[1 + 2 * k], s[2 + 2 * k]])
                        };
                    }
                    qt[tq] = Some(t);
                    s = &s[1 + n..];
                }
            }
            0xC4 => {
                let mut s = seg;
                while !s.is_empty() {
                    ensure!(s.len() >= 17, "jpeg: truncated Huffman table");
                    let (class, id) = (s[0] >> 4, (s[0] & 15) as usize);
                    ensure!(class < 2 && id < 4, "jpeg: bad Huffman table");
                    let bits: [u8; 16] = s[1..17].try_into().unwrap();
                    let n: usize = bits.iter().map(|&b| b as usize).sum();
                    ensure!(s.len() >= 17 + n, "jpeg: truncated Huffman table");
                    let t = HuffDec::new(&bits, &s[17..17 + n])?;
                    if class == 0 {
                        dc[id] = Some(t);
                    } else {
                        ac[id] = Some(t);
                    }
                    s = &s[17 + n..];
                }
            }
            0xC0 | 0xC1 => {
                ensure!(seg.len() >= 6, "jpeg: truncated frame header");
                ensure!(seg[0] == 8, "jpeg: {}-bit samples (8 supported)", seg[0]);
                h = be16(seg, 1)?;
                w = be16(seg, 3)?;
                let n = seg[5] as usize;
                ensure!(h > 0 && w > 0, "jpeg: zero image size (DNL not supported)");
                ensure!(n == 1 || n == 3, "jpeg: {n} components (1 or 3 supported)");
                ensure!(seg.len() >= 6 + 3 * n, "jpeg: truncated frame header");
                for k in 0..n {
                    let c = &seg[6 + 3 * k..9 + 3 * k];
                    let (hs, vs) = ((c[1] >> 4) as usize, (c[1] & 15) as usize);
                    ensure!(
                        (1..=4).contains(&hs) && (1..=4).contains(&vs),
                        "jpeg: bad sampling"
                    );
                    ensure!(c[2] < 4, "jpeg: bad quantisation table index");
                    comps.push(Component {
                        id: c[0],
                        hs,
                        vs,
                        tq: c[2] as usize,
                        td: 0,
                        ta: 0,
                    });
                }
            }
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                bail!("jpeg: only baseline Huffman files are decoded here (SOF marker {m:#04x})")
            }
            0xDD => {
                restart_interval = be16(seg, 0)?;
            }
            0xDA => {
                ensure!(!comps.is_empty(), "jpeg: scan before the frame header");
                ensure!(!seg.is_empty(), "jpeg: truncated scan header");
                let n = seg[0] as usize;
                ensure!(
                    n == comps.len() && seg.len() >= 1 + 2 * n + 3,
                    "jpeg: scans with a subset of the components are not supported"
                );
                for k in 0..n {
                    let (id, t) = (seg[1 + 2 * k], seg[2 + 2 * k]);
                    let c = comps.iter_mut().find(|c| c.id == id).ok_or_else(|| {
                        anyhow::anyhow!("jpeg: scan names unknown component {id}")
                    })?;
                    c.td = (t >> 4) as usize;
                    c.ta = (t & 15) as usize;
                    ensure!(c.td < 4 && c.ta < 4, "jpeg: bad Huffman table index");
                }
                // libjpeg's choice of colour space for 3 components (jdapimin.c).
                let rgb = comps.len() == 3
                    && !jfif
                    && match adobe_transform {
                        Some(t) => t == 0,
                        None => comps.iter().map(|c| c.id).eq(*b"RGB"),
                    };
                let start = i + 2 + len;
                return decode_scan(d, start, h, w, &comps, &qt, &dc, &ac, restart_interval, rgb);
            }
            0xD9 => bail!("jpeg: no image data"),
            0xE0 => jfif |= seg.starts_with(b"JFIF\0"),
            0xEE if seg.len() >= 12 && seg.starts_with(b"Adobe") => adobe_transform = Some(seg[11]),
            _ => {} // other APPn, COM, ...: skipped
        }
        i += 2 + len;
    }
}

#[allow(clippy::too_many_arguments)]
fn decode_scan(
    d: &[u8],
    start: usize,
    h: usize,
    w: usize,
    comps: &[Component],
    qt: &[Option<[u16; 64]>; 4],
    dc: &[Option<HuffDec>; 4],
    ac: &[Option<HuffDec>; 4],
    restart_interval: usize,
    rgb: bool,
) -> Result<Decoded> {
    let hmax = comps.iter().map(|c| c.hs).max().unwrap();
    let vmax = comps.iter().map(|c| c.vs).max().unwrap();
    ensure!(
        comps.iter().all(|c| hmax % c.hs == 0 && vmax % c.vs == 0),
        "jpeg: non-integral sampling factors are not supported"
    );
    let single = comps.len() == 1;
    // Non-interleaved (one component): MCU = one block over the component's own blocks.
    let (mcux, mcuy) = if single {
        let c = &comps[0];
        (
            (w * c.hs).div_ceil(hmax).div_ceil(8),
            (h * c.vs).div_ceil(vmax).div_ceil(8),
        )
    } else {
        (w.div_ceil(8 * hmax), h.div_ceil(8 * vmax))
    };
    // Planes of the components, padded to whole MCUs.
    let mut planes: Vec<(usize, usize, Vec<u8>)> = comps
        .iter()
        .map(|c| {
            let (pw, ph) = if single {
                (mcux * 8, mcuy * 8)
            } else {
                (mcux * c.hs * 8, mcuy * c.vs * 8)
            };
            (pw, ph, vec![0u8; pw * ph])
        })
        .collect();
    let mut tabs = Vec::with_capacity(comps.len());
    for c in comps {
        let q =
            qt[c.tq].ok_or_else(|| anyhow::anyhow!("jpeg: missing quantisation table {}", c.tq))?;
        let hd = dc[c.td]
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("jpeg: missing DC table {}", c.td))?;
        let ha = ac[c.ta]
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("jpeg: missing AC table {}", c.ta))?;
        tabs.push((q, hd, ha));
    }
    let mut br = BitReader {
        data: d,
        pos: start,
        acc: 0,
        n: 0,
        hit_marker: false,
        fake: 0,
    };
    let mut pred = vec![0i32; comps.len()];
    let mut blk = [0i32; 64];
    let total = mcux * mcuy;
    for m in 0..total {
        if restart_interval > 0 && m > 0 && m % restart_interval == 0 {
            br.restart()?;
            pred.iter_mut().for_each(|p| *p = 0);
        }
        let (mx, my) = (m % mcux, m / mcux);
        for (k, c) in comps.iter().enumerate() {
            let (q, hd, ha) = &tabs[k];
            let (bw, bh) = if single { (1, 1) } else { (c.hs, c.vs) };
            for by in 0..bh {
                for bx in 0..bw {
                    blk.fill(0);
                    let s = br.decode(hd)? as u32;
                    ensure!(s <= 15, "jpeg: corrupt data (DC size {s})");
                    let diff = extend(br.bits(s), s);
                    pred[k] = pred[k].wrapping_add(diff);
                    blk[0] = dequantize(pred[k], q[0]);
                    let mut kk = 1;
                    while kk < 64 {
                        let rs = br.decode(ha)?;
                        let (r, s) = ((rs >> 4) as usize, (rs & 15) as u32);
                        if s == 0 {
                            if r == 15 {
                                kk += 16;
                                continue;
                            }
                            break;
                        }
                        kk += r;
                        ensure!(kk < 64, "jpeg: corrupt data (coefficient index)");
                        let z = ZIGZAG[kk];
                        blk[z] = dequantize(extend(br.bits(s), s), q[z]);
                        kk += 1;
                    }
                    let (pw, _, ref mut data) = planes[k];
                    let (x0, y0) = ((mx * bw + bx) * 8, (my * bh + by) * 8);
                    idct_islow(&blk, &mut data[y0 * pw + x0..], pw);
                }
            }
        }
    }
    ensure!(
        !br.overran(),
        "jpeg: truncated or corrupt entropy-coded data"
    );
    // Upsample to full size and convert.
    let full: Vec<Vec<u8>> = comps
        .iter()
        .zip(&planes)
        .map(|(c, (pw, _, data))| {
            let cw = (w * c.hs).div_ceil(hmax);
            let ch = (h * c.vs).div_ceil(vmax);
            upsample(data, *pw, cw, ch, hmax / c.hs, vmax / c.vs, w, h)
        })
        .collect::<Result<_>>()?;
    let c = comps.len();
    let mut out = vec![0u8; h * w * c];
    if c == 1 {
        out.copy_from_slice(&full[0]);
    } else if rgb {
        for (p, o) in out.chunks_exact_mut(3).enumerate() {
            o.copy_from_slice(&[full[0][p], full[1][p], full[2][p]]);
        }
    } else {
        let cr_r: Vec<i32> = (0..256)
            .map(|i| (fix16(1.40200) * (i - 128) + (1 << 15)) >> 16)
            .collect();
        let cb_b: Vec<i32> = (0..256)
            .map(|i| (fix16(1.77200) * (i - 128) + (1 << 15)) >> 16)
            .collect();
        for (p, o) in out.chunks_exact_mut(3).enumerate() {
            let (y, cb, cr) = (full[0][p] as i32, full[1][p] as usize, full[2][p] as usize);
            let g = (-fix16(0.34414) * (cb as i32 - 128) + (1 << 15)
                - fix16(0.71414) * (cr as i32 - 128))
                >> 16;
            o[0] = (y + cr_r[cr]).clamp(0, 255) as u8;
            o[1] = (y + g).clamp(0, 255) as u8;
            o[2] = (y + cb_b[cb]).clamp(0, 255) as u8;
        }
    }
    Ok(Decoded { h, w, c, data: out })
}

/// Upsample a component plane (stride `pw`, real size `cw` x `ch`) by (fx, fy) to `w` x `h`:
/// h2v2 and h2v1 with libjpeg's triangular ("fancy") filters, 1x1 copied, other integral
/// factors replicated (libjpeg's int_upsample). Edges replicate the last real row/column.
#[allow(clippy::too_many_arguments)]
fn upsample(
    src: &[u8],
    pw: usize,
    cw: usize,
    ch: usize,
    fx: usize,
    fy: usize,
    w: usize,
    h: usize,
) -> Result<Vec<u8>> {
    let at = |y: usize, x: usize| src[y * pw + x] as i32;
    let mut out = vec![0u8; w * h];
    match (fx, fy) {
        (1, 1) => {
            for y in 0..h {
                out[y * w..(y + 1) * w].copy_from_slice(&src[y * pw..y * pw + w]);
            }
        }
        (2, 2) => {
            let mut row = vec![0u8; 2 * cw];
            for y in 0..h {
                let sy = y / 2;
                // Vertical neighbour: above for even output rows, below for odd ones.
                let ny = if y % 2 == 0 {
                    sy.saturating_sub(1)
                } else {
                    (sy + 1).min(ch - 1)
                };
                let col = |x: usize| 3 * at(sy, x) + at(ny, x);
                for x in 0..cw {
                    let this = col(x);
                    let left = if x > 0 { col(x - 1) } else { this };
                    let right = if x + 1 < cw { col(x + 1) } else { this };
                    row[2 * x] = ((3 * this + left + 8) >> 4) as u8;
                    row[2 * x + 1] = ((3 * this + right + 7) >> 4) as u8;
                }
                out[y * w..(y + 1) * w].copy_from_slice(&row[..w]);
            }
        }
        (2, 1) => {
            let mut row = vec![0u8; 2 * cw];
            for y in 0..h {
                for x in 0..cw {
                    let this = 3 * at(y, x);
                    if x == 0 {
                        row[0] = at(y, 0) as u8;
                    } else {
                        row[2 * x] = ((this + at(y, x - 1) + 1) >> 2) as u8;
                    }
                    if x + 1 == cw {
                        row[2 * x + 1] = at(y, x) as u8;
                    } else {
                        row[2 * x + 1] = ((this + at(y, x + 1) + 2) >> 2) as u8;
                    }
                }
                out[y * w..(y + 1) * w].copy_from_slice(&row[..w]);
            }
        }
        (fx, fy) if fx >= 1 && fy >= 1 => {
            for y in 0..h {
                for x in 0..w {
                    out[y * w + x] = src[(y / fy) * pw + x / fx];
                }
            }
        }
        _ => bail!("jpeg: unsupported sampling factors"),
    }
    Ok(out)
}
