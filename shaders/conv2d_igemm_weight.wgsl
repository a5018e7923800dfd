// Weight gradient of the implicit-GEMM convolution for GPUs: dw[o, r] = sum over pixels m of
// dout[n, o, y, x] * X[m, r], r = (input channel c, tap), X[m, r] = x[n, c, y + dy - pad,
// x + dx - pad] (zero outside). The pixel sum is split into slabs of `per` pixels (z of the
// grid, from `s0` on); each writes its partial dw to partial[s] ([slabs, cout * cin * k*k],
// dw's layout), summed in index order by conv2d_reduce.wgsl (deterministic, no atomics).
// A workgroup of WG x WG lanes computes (4 WG) taps x (4 WG) output channels; each lane a
// 4 x 4 block (taps lid.x + WG i, channels lid.y + WG j) from TK pixels staged per step.
struct Params { n: u32, h: u32, w: u32, cin: u32, cout: u32, k: u32, pad: u32, m: u32,
                xoff: u32, doff: u32, per: u32, s0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;

override WG: u32 = 16u;
const TK: u32 = 16u;
var<workgroup> sx: array<f32, 1024>; // [TK pixels][64 taps]
var<workgroup> sd: array<f32, 1024>; // [TK pixels][64 channels]

@compute @workgroup_size(WG, WG)
fn conv2d_igemm_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tile = 4u * WG;
    let lanes = WG * WG;
    let r0 = wid.x * tile;
    let o0 = wid.y * tile;
    let lin = lid.y * WG + lid.x;
    let kk = p.k * p.k;
    let rtot = p.cin * kk;
    let hw = p.h * p.w;
    let q_begin = wid.z * p.per;
    let q_end = min(q_begin + p.per, p.m);
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    let loads = TK * tile / lanes;
    for (var q0 = q_begin; q0 < q_end; q0 += TK) {
        for (var e = 0u; e < loads; e++) {
            let s = lin + e * lanes;
            let qq = s / tile;
            let ii = s % tile;
            let q = q0 + qq;
            var vx = 0.0;
            var vd = 0.0;
            if (q < q_end) {
                let n = q / hw;
                let rem = q % hw;
                let r = r0 + ii;
                if (r < rtot) {
                    let c = r / kk;
                    let tap = r % kk;
                    let iy = i32(rem / p.w) + i32(tap / p.k) - i32(p.pad);
                    let ix = i32(rem % p.w) + i32(tap % p.k) - i32(p.pad);
                    if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
                        vx = x[p.xoff + ((n * p.cin + c) * p.h + u32(iy)) * p.w + u32(ix)];
                    }
                }
                let o = o0 + ii;
                if (o < p.cout) {
                    vd = dout[p.doff + (n * p.cout + o) * hw + rem];
                }
            }
            sx[qq * 64u + ii] = vx;
            sd[qq * 64u + ii] = vd;
        }
        workgroupBarrier();
        for (var qq = 0u; qq < TK; qq++) {
            let dv = vec4<f32>(sd[qq * 64u + lid.y], sd[qq * 64u + lid.y + WG],
                               sd[qq * 64u + lid.y + 2u * WG], sd[qq * 64u + lid.y + 3u * WG]);
            for (var i = 0u; i < 4u; i++) {
                acc[i] = fma(vec4<f32>(sx[qq * 64u + lid.x + WG * i]), dv, acc[i]);
            }
        }
        workgroupBarrier();
    }
    let e = p.cout * rtot;
    let base = (p.s0 + wid.z) * e;
    for (var i = 0u; i < 4u; i++) {
        let r = r0 + lid.x + WG * i;
        if (r < rtot) {
            for (var j = 0u; j < 4u; j++) {
                let o = o0 + lid.y + WG * j;
                if (o < p.cout) {
                    partial[base + o * rtot + r] = acc[i][j];
                }
            }
        }
    }
}
