// Implicit-GEMM convolution for GPUs (stride 1, "same" zero padding, odd k): the product
// out[pixel m, channel o] = sum_r A[m, r] B[r, o] over r = (input channel c, tap) with
// A[m, r] = x[n, c, y + dy - pad, x + dx - pad] (zero outside the image), never materialised,
// and B[r, o] = w[o, c, tap]. With `flip` the same kernel gives the input gradient: x is then
// dout (cin = the layer's Cout) and B[r, o] = w[c, o, k*k - 1 - tap] (w stored [cin, cout, k, k]),
// i.e. the convolution of dout with the transposed, rotated weights.
// A workgroup of WG x WG lanes computes a (4 WG) pixels x (4 WG) channels tile from TK-deep
// slices of A and B staged in workgroup memory; each lane a 4 x 4 block (pixels lid.x + WG i,
// channels lid.y + WG j), so that neighbouring lanes read and write neighbouring pixels.
// WG (8 or 16) is chosen from the adapter's limits (ops/conv2d.rs `tiled_wg`).
struct Params { n: u32, h: u32, w: u32, cin: u32, cout: u32, k: u32, pad: u32, flip: u32,
                xoff: u32, ooff: u32, has_bias: u32, m: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

override WG: u32 = 16u;
const TK: u32 = 16u;
// [TK][64]: element (r, i) at r * 64 + i; a tile of 4 WG <= 64 uses the first columns.
var<workgroup> sa: array<f32, 1024>;
var<workgroup> sb: array<f32, 1024>;

@compute @workgroup_size(WG, WG)
fn conv2d_igemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tile = 4u * WG;
    let lanes = WG * WG;
    let m0 = wid.x * tile;
    let o0 = wid.y * tile;
    let lin = lid.y * WG + lid.x;
    let kk = p.k * p.k;
    let rtot = p.cin * kk;
    let hw = p.h * p.w;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    let loads = TK * tile / lanes;
    for (var r0 = 0u; r0 < rtot; r0 += TK) {
        for (var e = 0u; e < loads; e++) {
            let s = lin + e * lanes;
            let rr = s / tile;
            let ii = s % tile;
            let r = r0 + rr;
            let c = r / kk;
            let tap = r % kk;
            var va = 0.0;
            let m = m0 + ii;
            if (m < p.m && r < rtot) {
                let n = m / hw;
                let rem = m % hw;
                let iy = i32(rem / p.w) + i32(tap / p.k) - i32(p.pad);
                let ix = i32(rem % p.w) + i32(tap % p.k) - i32(p.pad);
                if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                    va = x[p.xoff + ((n * p.cin + c) * p.h + u32(iy)) * p.w + u32(ix)];
                }
            }
            sa[rr * 64u + ii] = va;
            var vb = 0.0;
            let o = o0 + ii;
            if (o < p.cout && r < rtot) {
                if (p.flip == 0u) {
                    vb = wt[(o * p.cin + c) * kk + tap];
                } else {
                    vb = wt[(c * p.cout + o) * kk + (kk - 1u - tap)];
                }
            }
            sb[rr * 64u + ii] = vb;
        }
        workgroupBarrier();
        for (var rr = 0u; rr < TK; rr++) {
            let bv = vec4<f32>(sb[rr * 64u + lid.y], sb[rr * 64u + lid.y + WG],
                               sb[rr * 64u + lid.y + 2u * WG], sb[rr * 64u + lid.y + 3u * WG]);
            for (var i = 0u; i < 4u; i++) {
                acc[i] = fma(vec4<f32>(sa[rr * 64u + lid.x + WG * i]), bv, acc[i]);
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let m = m0 + lid.x + WG * i;
        if (m < p.m) {
            let n = m / hw;
            let rem = m % hw;
            for (var j = 0u; j < 4u; j++) {
                let o = o0 + lid.y + WG * j;
                if (o < p.cout) {
                    var v = acc[i][j];
                    if (p.has_bias != 0u) {
                        v += bias[o];
                    }
                    out[p.ooff + (n * p.cout + o) * hw + rem] = v;
                }
            }
        }
    }
}
