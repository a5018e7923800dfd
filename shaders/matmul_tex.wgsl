// C[layer] = alpha A[layer] B[layer] (+ bias on columns) from packed textures (matmul_pack):
// ta holds A [M, K] and tb holds B^T [N, K], 4 consecutive k per texel, zero-padded to tiles.
// One workgroup = one subgroup of 8 lanes computes a 32 x 8 tile: each lane owns 4 rows
// (m0 + lane + 8 r) and all 8 columns. Each lane fetches one texel of B^T (its column) per
// k-step and subgroupBroadcast at constant lanes hands all 8 to every lane (register
// shuffles on lavapipe), so one step is 5 texture fetches for 128 FMAs per lane.
// Needs subgroups of at least 8 lanes; the workgroup of 8 fills one subgroup.
// C is a strided view: C(l, m, n) = c[off + (l / lh) * co + (l % lh) * ci + m * cm + n] for
// global layer l = l0 + layer (attention writes head slices of its outputs in place).
struct Params { m: u32, n: u32, kt: u32, has_bias: u32, l0: u32, lh: u32, off: u32, co: u32,
                ci: u32, cm: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var ta: texture_2d_array<f32>;
@group(0) @binding(3) var tb: texture_2d_array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn step(acc: vec4<f32>, a: vec4<f32>, c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(a.w), c3, fma(vec4<f32>(a.z), c2, fma(vec4<f32>(a.y), c1, fma(vec4<f32>(a.x), c0, acc))));
}

fn store_row(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>, blo: vec4<f32>, bhi: vec4<f32>, base: u32) {
    if (m >= p.m) {
        return;
    }
    let row = base + m * p.cm;
    let vlo = fma(lo, vec4<f32>(p.alpha), blo);
    let vhi = fma(hi, vec4<f32>(p.alpha), bhi);
    for (var j = 0u; j < 4u; j++) {
        if (n0 + j < p.n) { c[row + n0 + j] = vlo[j]; }
        if (n0 + 4u + j < p.n) { c[row + n0 + 4u + j] = vhi[j]; }
    }
}

@compute @workgroup_size(8)
fn matmul_tex(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let n0 = wid.x * 8u;
    let m0 = wid.y * 32u + lane;
    let layer = wid.z;
    var r0lo = vec4<f32>(0.0); var r0hi = vec4<f32>(0.0);
    var r1lo = vec4<f32>(0.0); var r1hi = vec4<f32>(0.0);
    var r2lo = vec4<f32>(0.0); var r2hi = vec4<f32>(0.0);
    var r3lo = vec4<f32>(0.0); var r3hi = vec4<f32>(0.0);
    for (var t = 0u; t < p.kt; t++) {
        let bl = textureLoad(tb, vec2<u32>(t, n0 + lane), layer, 0);
        let a0 = textureLoad(ta, vec2<u32>(t, m0), layer, 0);
        let a1 = textureLoad(ta, vec2<u32>(t, m0 + 8u), layer, 0);
        let a2 = textureLoad(ta, vec2<u32>(t, m0 + 16u), layer, 0);
        let a3 = textureLoad(ta, vec2<u32>(t, m0 + 24u), layer, 0);
        let b0 = subgroupBroadcast(bl, 0u);
        let b1 = subgroupBroadcast(bl, 1u);
        let b2 = subgroupBroadcast(bl, 2u);
        let b3 = subgroupBroadcast(bl, 3u);
        let b4 = subgroupBroadcast(bl, 4u);
        let b5 = subgroupBroadcast(bl, 5u);
        let b6 = subgroupBroadcast(bl, 6u);
        let b7 = subgroupBroadcast(bl, 7u);
        // Columns of the 4 x 4 blocks: cLe[j] = B[k = 4t + e, n0 + j].
        let l0 = vec4<f32>(b0.x, b1.x, b2.x, b3.x);
        let l1 = vec4<f32>(b0.y, b1.y, b2.y, b3.y);
        let l2 = vec4<f32>(b0.z, b1.z, b2.z, b3.z);
        let l3 = vec4<f32>(b0.w, b1.w, b2.w, b3.w);
        let h0 = vec4<f32>(b4.x, b5.x, b6.x, b7.x);
        let h1 = vec4<f32>(b4.y, b5.y, b6.y, b7.y);
        let h2 = vec4<f32>(b4.z, b5.z, b6.z, b7.z);
        let h3 = vec4<f32>(b4.w, b5.w, b6.w, b7.w);
        r0lo = step(r0lo, a0, l0, l1, l2, l3); r0hi = step(r0hi, a0, h0, h1, h2, h3);
        r1lo = step(r1lo, a1, l0, l1, l2, l3); r1hi = step(r1hi, a1, h0, h1, h2, h3);
        r2lo = step(r2lo, a2, l0, l1, l2, l3); r2hi = step(r2hi, a2, h0, h1, h2, h3);
        r3lo = step(r3lo, a3, l0, l1, l2, l3); r3hi = step(r3hi, a3, h0, h1, h2, h3);
    }
    var blo = vec4<f32>(0.0);
    var bhi = vec4<f32>(0.0);
    if (p.has_bias != 0u) {
        for (var j = 0u; j < 4u; j++) {
            blo[j] = bias[min(n0 + j, p.n - 1u)];
            bhi[j] = bias[min(n0 + 4u + j, p.n - 1u)];
        }
    }
    let l = p.l0 + layer;
    let base = p.off + (l / p.lh) * p.co + (l % p.lh) * p.ci;
    store_row(m0, n0, r0lo, r0hi, blo, bhi, base);
    store_row(m0 + 8u, n0, r1lo, r1hi, blo, bhi, base);
    store_row(m0 + 16u, n0, r2lo, r2hi, blo, bhi, base);
    store_row(m0 + 24u, n0, r3lo, r3hi, blo, bhi, base);
}
