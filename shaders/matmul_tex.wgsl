// C[layer] = alpha A[layer] B[layer] (+ bias on columns) from packed textures (matmul_pack*):
// ta holds A [M, K] and tb holds B^T [N, K], 4 consecutive k per texel, zero-padded to
// 32 x 32 tiles.
// One workgroup = one subgroup of 8 lanes computes a 32 x 32 tile: each lane owns 4 rows
// (m0 + lane + 8 r) and all 32 columns, as 32 vec4 accumulators a_j (column n0 + j, the vec4
// over the lane's 4 rows). Per k-step (4 k values) each lane fetches 4 texels of A (its rows,
// transposed in registers to x[e] = the 4 rows at k = 4t + e) and 4 texels of B^T (columns
// n0 + 8 i + lane); subgroupBroadcast at constant lanes hands every lane the 32 column
// texels, whose components serve as splats with no reshuffling. One step is 8 fetches and
// 32 broadcasts for 512 FMAs per lane. Measured on lavapipe against 4 x 16, 4 x 24, 4 x 48,
// 4 x 64, 8 x 16 and 8 x 32 per lane: 4 x 32 was fastest (spilled accumulators cost less
// than fetches). The per-output summation order (k ascending, one fma each) is the same as
// the previous 4 x 8 kernel's, so results are bit-identical.
// Needs subgroups of at least 8 lanes; the workgroup of 8 fills one subgroup.
// C is a strided view: C(l, m, n) = c[off + (l / lh) * co + (l % lh) * ci + m * cm + n] for
// global layer l = l0 + layer (attention writes head slices of its outputs in place).
// (Unrolled code: generated as 4 rows x 32 columns.)
// Split products (bindings over the storage limit): C and the bias are bound from column
// `boff`; k chunks after the first start from the raw sums in C (`accumulate`) and only the
// last applies alpha and the bias (`finalize`), so a split product is bit-identical.
// Linear operands (override LINEAR: bit 0 for A, bit 1 for B): instead of a packed texture, the
// operand is a copy of its tensor in a linear texture (texel i at (i % 4096, (i / 4096) % 4096)
// of layer i / 2^24; see gpu::linear_dims), its k values contiguous: texel t of row r of
// chunk layer `layer` is i = abase + layer * als + r * ars + t (bbase, bls, brs for B^T).
// Nothing pads it: rows past m and columns past n read whatever lies there (indices clamped
// to the tensor's last texel, amax / bmax, so no read leaves the texture), which only ever
// reaches accumulators that are never stored; k needs no padding (k % 4 == 0 here).
// Column-linear operands (bit 2 for A, bit 3 for B): the tensor's k runs along its rows, so a
// texel holds 4 consecutive rows of A (columns of B) at one k: texel q of k value kk is
// i = abase + layer * als + kk * ars + q (bbase, bls, brs for B). Neither operand is then
// transposed by a pack: with bit 2 a lane owns the 4 consecutive rows m0 + 4 lane + r, whose
// texels at k = 4t + e are its x[e] as they come; with bit 3 lane q fetches columns
// n0 + 4q .. n0 + 4q + 4 at each of the 4 k values and a broadcast of lane q at k value e
// feeds columns 4q + i one component each. Each output still gets one fma per k in
// ascending k order, so results are bit-identical to the packed path. k values past `kc` (the
// chunk's k count, any value here) read as zeros on both sides.
// Row sums of A (bit 16, with bit 3; n % 32 != 0): column n of the chunk, a spare column of
// the last tile, reads as ones, so its accumulators sum A's rows over k in ascending k order
// (one exact fma by 1.0 each); they go to `bias` (then bound read_write from row `boff`,
// has_bias = 0) instead of C, raw (alpha = 1), continued across k chunks like C. This is the
// linear layer's bias gradient db = colsum(dy) summed in dW = dy^T x's launches.
// Split along k (bit 32, with column-linear operands, one layer): instead of one launch per
// k chunk, each continuing the sums in C, one launch whose workgroup layer z sums k part z
// (texel steps [z kstep4, (z + 1) kstep4)) and stores the raw sums of its whole padded tile
// into part z of c (bound to a scratch [parts, padded m, padded n]); matmul_parts.wgsl then
// adds the parts in part order and applies alpha, the bias and the row sums. Workgroups run
// in order with x fastest, so both threads of a CPU adapter work on the same k part (whose
// operand rows stay in cache) as the launches along k did.
struct Params { m: u32, n: u32, kt: u32, has_bias: u32, l0: u32, lh: u32, off: u32, co: u32,
                ci: u32, cm: u32, alpha: f32, boff: u32, accumulate: u32, finalize: u32,
                abase: u32, ars: u32, als: u32, amax: u32, bbase: u32, brs: u32, bls: u32,
                bmax: u32, kc: u32, kstep4: u32 }
override LINEAR: u32 = 0u;
override SPLIT: bool = (LINEAR & 32u) != 0u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var ta: texture_2d_array<f32>;
@group(0) @binding(3) var tb: texture_2d_array<f32>;
@group(0) @binding(4) var<storage, read_write> bias: array<f32>;

// Texel t of A's row r (4 consecutive k values).
fn load_a(t: u32, r: u32, layer: u32) -> vec4<f32> {
    if ((LINEAR & 1u) != 0u) {
        let i = min(p.abase + layer * p.als + r * p.ars + t, p.amax);
        return linear_texel(ta, i);
    }
    return textureLoad(ta, vec2<u32>(t, r), layer, 0);
}

// Texel t of B^T's row nn (column nn of B, 4 consecutive k values).
fn load_b(t: u32, nn: u32, layer: u32) -> vec4<f32> {
    if ((LINEAR & 2u) != 0u) {
        let i = min(p.bbase + layer * p.bls + nn * p.brs + t, p.bmax);
        return linear_texel(tb, i);
    }
    return textureLoad(tb, vec2<u32>(t, nn), layer, 0);
}

fn linear_texel(t: texture_2d_array<f32>, i: u32) -> vec4<f32> {
    return textureLoad(t, vec2<u32>(i & 4095u, (i >> 12u) & 4095u), i >> 24u, 0);
}

// Column-linear A (bit 2): rows 4q .. 4q + 4 of the chunk at k value kk (zero past kc).
fn load_a_cols(kk: u32, q: u32, layer: u32) -> vec4<f32> {
    let v = linear_texel(ta, min(p.abase + layer * p.als + kk * p.ars + q, p.amax));
    return select(v, vec4<f32>(0.0), kk >= p.kc);
}

// Column-linear B (bit 3): columns 4q .. 4q + 4 of the chunk at k value kk (zero past kc).
fn load_b_cols(kk: u32, q: u32, layer: u32) -> vec4<f32> {
    var v = linear_texel(tb, min(p.bbase + layer * p.bls + kk * p.brs + q, p.bmax));
    if ((LINEAR & 16u) != 0u && q == p.n / 4u) { v[p.n % 4u] = 1.0; }
    return select(v, vec4<f32>(0.0), kk >= p.kc);
}

// Row r (0..4) of the 4 a lane owns in its tile: m0 + lane + 8 r, or m0 + 4 lane + r for a
// column-linear A.
fn lane_row(m0: u32, lane: u32, r: u32) -> u32 {
    if ((LINEAR & 4u) != 0u) { return m0 + 4u * lane + r; }
    return m0 + lane + 8u * r;
}

// acc + sum_e b[e] * t[e]: b holds column j's 4 k values (a broadcast), t[e] the lane's 4
// rows at k value e.
fn mac(acc: vec4<f32>, b: vec4<f32>, t: mat4x4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(b.w), t[3], fma(vec4<f32>(b.z), t[2], fma(vec4<f32>(b.y), t[1], fma(vec4<f32>(b.x), t[0], acc))));
}

fn store_col(base: u32, m0: u32, lane: u32, nn: u32, acc: vec4<f32>) {
    if ((LINEAR & 16u) != 0u && nn == p.n) {
        for (var r = 0u; r < 4u; r++) {
            let m = lane_row(m0, lane, r);
            if (m < p.m) { bias[p.boff + m] = acc[r]; }
        }
        return;
    }
    if (nn >= p.n) { return; }
    var v = acc;
    if (p.finalize != 0u) {
        var b = 0.0;
        if (p.has_bias != 0u) { b = bias[p.boff + nn]; }
        v = fma(acc, vec4<f32>(p.alpha), vec4<f32>(b));
    }
    for (var r = 0u; r < 4u; r++) {
        let m = lane_row(m0, lane, r);
        if (m < p.m) { c[base + m * p.cm + nn] = v[r]; }
    }
}

// Split along k (bit 32): the raw sums of part z, every row and column of the padded tile
// (the spare row-sums column included), to part z of c: [parts, padded m, padded n]
// (co = its part stride, cm = its row stride); `matmul_sum_parts` adds the parts.
fn store_part(base: u32, m0: u32, lane: u32, nn: u32, acc: vec4<f32>) {
    for (var r = 0u; r < 4u; r++) {
        c[base + lane_row(m0, lane, r) * p.cm + nn] = acc[r];
    }
}

// The raw sums of an earlier k chunk (zero outside C and the row sums' column).
fn load_col(base: u32, m0: u32, lane: u32, nn: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if ((LINEAR & 16u) != 0u && nn == p.n) {
        for (var r = 0u; r < 4u; r++) {
            let m = lane_row(m0, lane, r);
            if (m < p.m) { v[r] = bias[p.boff + m]; }
        }
    }
    if (nn < p.n) {
        for (var r = 0u; r < 4u; r++) {
            let m = lane_row(m0, lane, r);
            if (m < p.m) { v[r] = c[base + m * p.cm + nn]; }
        }
    }
    return v;
}

@compute @workgroup_size(8)
fn matmul_tex(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let n0 = wid.x * 32u;
    let m0 = wid.y * 32u;
    // Split along k (LINEAR bit 32): workgroup layer z computes k part z of the one layer.
    let layer = select(wid.z, 0u, SPLIT);
    var t0 = 0u;
    var t1 = p.kt;
    if (SPLIT) {
        t0 = wid.z * p.kstep4;
        t1 = min(t0 + p.kstep4, p.kt);
    }
    var a0_0 = vec4<f32>(0.0);
    var a0_1 = vec4<f32>(0.0);
    var a0_2 = vec4<f32>(0.0);
    var a0_3 = vec4<f32>(0.0);
    var a0_4 = vec4<f32>(0.0);
    var a0_5 = vec4<f32>(0.0);
    var a0_6 = vec4<f32>(0.0);
    var a0_7 = vec4<f32>(0.0);
    var a0_8 = vec4<f32>(0.0);
    var a0_9 = vec4<f32>(0.0);
    var a0_10 = vec4<f32>(0.0);
    var a0_11 = vec4<f32>(0.0);
    var a0_12 = vec4<f32>(0.0);
    var a0_13 = vec4<f32>(0.0);
    var a0_14 = vec4<f32>(0.0);
    var a0_15 = vec4<f32>(0.0);
    var a0_16 = vec4<f32>(0.0);
    var a0_17 = vec4<f32>(0.0);
    var a0_18 = vec4<f32>(0.0);
    var a0_19 = vec4<f32>(0.0);
    var a0_20 = vec4<f32>(0.0);
    var a0_21 = vec4<f32>(0.0);
    var a0_22 = vec4<f32>(0.0);
    var a0_23 = vec4<f32>(0.0);
    var a0_24 = vec4<f32>(0.0);
    var a0_25 = vec4<f32>(0.0);
    var a0_26 = vec4<f32>(0.0);
    var a0_27 = vec4<f32>(0.0);
    var a0_28 = vec4<f32>(0.0);
    var a0_29 = vec4<f32>(0.0);
    var a0_30 = vec4<f32>(0.0);
    var a0_31 = vec4<f32>(0.0);
    let l = p.l0 + layer;
    var base = p.off + (l / p.lh) * p.co + (l % p.lh) * p.ci;
    if (SPLIT) { base = wid.z * p.co; }
    if (p.accumulate != 0u) {
        a0_0 = load_col(base, m0, lane, n0 + 0u);
        a0_1 = load_col(base, m0, lane, n0 + 1u);
        a0_2 = load_col(base, m0, lane, n0 + 2u);
        a0_3 = load_col(base, m0, lane, n0 + 3u);
        a0_4 = load_col(base, m0, lane, n0 + 4u);
        a0_5 = load_col(base, m0, lane, n0 + 5u);
        a0_6 = load_col(base, m0, lane, n0 + 6u);
        a0_7 = load_col(base, m0, lane, n0 + 7u);
        a0_8 = load_col(base, m0, lane, n0 + 8u);
        a0_9 = load_col(base, m0, lane, n0 + 9u);
        a0_10 = load_col(base, m0, lane, n0 + 10u);
        a0_11 = load_col(base, m0, lane, n0 + 11u);
        a0_12 = load_col(base, m0, lane, n0 + 12u);
        a0_13 = load_col(base, m0, lane, n0 + 13u);
        a0_14 = load_col(base, m0, lane, n0 + 14u);
        a0_15 = load_col(base, m0, lane, n0 + 15u);
        a0_16 = load_col(base, m0, lane, n0 + 16u);
        a0_17 = load_col(base, m0, lane, n0 + 17u);
        a0_18 = load_col(base, m0, lane, n0 + 18u);
        a0_19 = load_col(base, m0, lane, n0 + 19u);
        a0_20 = load_col(base, m0, lane, n0 + 20u);
        a0_21 = load_col(base, m0, lane, n0 + 21u);
        a0_22 = load_col(base, m0, lane, n0 + 22u);
        a0_23 = load_col(base, m0, lane, n0 + 23u);
        a0_24 = load_col(base, m0, lane, n0 + 24u);
        a0_25 = load_col(base, m0, lane, n0 + 25u);
        a0_26 = load_col(base, m0, lane, n0 + 26u);
        a0_27 = load_col(base, m0, lane, n0 + 27u);
        a0_28 = load_col(base, m0, lane, n0 + 28u);
        a0_29 = load_col(base, m0, lane, n0 + 29u);
        a0_30 = load_col(base, m0, lane, n0 + 30u);
        a0_31 = load_col(base, m0, lane, n0 + 31u);
    }
    for (var t = t0; t < t1; t++) {
        var x0: mat4x4<f32>;
        if ((LINEAR & 4u) != 0u) {
            let q = wid.y * 8u + lane;
            x0 = mat4x4<f32>(load_a_cols(4u * t, q, layer), load_a_cols(4u * t + 1u, q, layer), load_a_cols(4u * t + 2u, q, layer), load_a_cols(4u * t + 3u, q, layer));
        } else {
            let r0 = m0 + lane;
            x0 = transpose(mat4x4<f32>(load_a(t, r0, layer), load_a(t, r0 + 8u, layer), load_a(t, r0 + 16u, layer), load_a(t, r0 + 24u, layer)));
        }
        if ((LINEAR & 8u) != 0u) {
            let q = wid.x * 8u + lane;
            let c0 = load_b_cols(4u * t + 0u, q, layer);
            let c1 = load_b_cols(4u * t + 1u, q, layer);
            let c2 = load_b_cols(4u * t + 2u, q, layer);
            let c3 = load_b_cols(4u * t + 3u, q, layer);
            let b0 = mat4x4<f32>(subgroupBroadcast(c0, 0u), subgroupBroadcast(c1, 0u), subgroupBroadcast(c2, 0u), subgroupBroadcast(c3, 0u));
            a0_0 = mac(a0_0, vec4<f32>(b0[0].x, b0[1].x, b0[2].x, b0[3].x), x0);
            a0_1 = mac(a0_1, vec4<f32>(b0[0].y, b0[1].y, b0[2].y, b0[3].y), x0);
            a0_2 = mac(a0_2, vec4<f32>(b0[0].z, b0[1].z, b0[2].z, b0[3].z), x0);
            a0_3 = mac(a0_3, vec4<f32>(b0[0].w, b0[1].w, b0[2].w, b0[3].w), x0);
            let b1 = mat4x4<f32>(subgroupBroadcast(c0, 1u), subgroupBroadcast(c1, 1u), subgroupBroadcast(c2, 1u), subgroupBroadcast(c3, 1u));
            a0_4 = mac(a0_4, vec4<f32>(b1[0].x, b1[1].x, b1[2].x, b1[3].x), x0);
            a0_5 = mac(a0_5, vec4<f32>(b1[0].y, b1[1].y, b1[2].y, b1[3].y), x0);
            a0_6 = mac(a0_6, vec4<f32>(b1[0].z, b1[1].z, b1[2].z, b1[3].z), x0);
            a0_7 = mac(a0_7, vec4<f32>(b1[0].w, b1[1].w, b1[2].w, b1[3].w), x0);
            let b2 = mat4x4<f32>(subgroupBroadcast(c0, 2u), subgroupBroadcast(c1, 2u), subgroupBroadcast(c2, 2u), subgroupBroadcast(c3, 2u));
            a0_8 = mac(a0_8, vec4<f32>(b2[0].x, b2[1].x, b2[2].x, b2[3].x), x0);
            a0_9 = mac(a0_9, vec4<f32>(b2[0].y, b2[1].y, b2[2].y, b2[3].y), x0);
            a0_10 = mac(a0_10, vec4<f32>(b2[0].z, b2[1].z, b2[2].z, b2[3].z), x0);
            a0_11 = mac(a0_11, vec4<f32>(b2[0].w, b2[1].w, b2[2].w, b2[3].w), x0);
            let b3 = mat4x4<f32>(subgroupBroadcast(c0, 3u), subgroupBroadcast(c1, 3u), subgroupBroadcast(c2, 3u), subgroupBroadcast(c3, 3u));
            a0_12 = mac(a0_12, vec4<f32>(b3[0].x, b3[1].x, b3[2].x, b3[3].x), x0);
            a0_13 = mac(a0_13, vec4<f32>(b3[0].y, b3[1].y, b3[2].y, b3[3].y), x0);
            a0_14 = mac(a0_14, vec4<f32>(b3[0].z, b3[1].z, b3[2].z, b3[3].z), x0);
            a0_15 = mac(a0_15, vec4<f32>(b3[0].w, b3[1].w, b3[2].w, b3[3].w), x0);
            let b4 = mat4x4<f32>(subgroupBroadcast(c0, 4u), subgroupBroadcast(c1, 4u), subgroupBroadcast(c2, 4u), subgroupBroadcast(c3, 4u));
            a0_16 = mac(a0_16, vec4<f32>(b4[0].x, b4[1].x, b4[2].x, b4[3].x), x0);
            a0_17 = mac(a0_17, vec4<f32>(b4[0].y, b4[1].y, b4[2].y, b4[3].y), x0);
            a0_18 = mac(a0_18, vec4<f32>(b4[0].z, b4[1].z, b4[2].z, b4[3].z), x0);
            a0_19 = mac(a0_19, vec4<f32>(b4[0].w, b4[1].w, b4[2].w, b4[3].w), x0);
            let b5 = mat4x4<f32>(subgroupBroadcast(c0, 5u), subgroupBroadcast(c1, 5u), subgroupBroadcast(c2, 5u), subgroupBroadcast(c3, 5u));
            a0_20 = mac(a0_20, vec4<f32>(b5[0].x, b5[1].x, b5[2].x, b5[3].x), x0);
            a0_21 = mac(a0_21, vec4<f32>(b5[0].y, b5[1].y, b5[2].y, b5[3].y), x0);
            a0_22 = mac(a0_22, vec4<f32>(b5[0].z, b5[1].z, b5[2].z, b5[3].z), x0);
            a0_23 = mac(a0_23, vec4<f32>(b5[0].w, b5[1].w, b5[2].w, b5[3].w), x0);
            let b6 = mat4x4<f32>(subgroupBroadcast(c0, 6u), subgroupBroadcast(c1, 6u), subgroupBroadcast(c2, 6u), subgroupBroadcast(c3, 6u));
            a0_24 = mac(a0_24, vec4<f32>(b6[0].x, b6[1].x, b6[2].x, b6[3].x), x0);
            a0_25 = mac(a0_25, vec4<f32>(b6[0].y, b6[1].y, b6[2].y, b6[3].y), x0);
            a0_26 = mac(a0_26, vec4<f32>(b6[0].z, b6[1].z, b6[2].z, b6[3].z), x0);
            a0_27 = mac(a0_27, vec4<f32>(b6[0].w, b6[1].w, b6[2].w, b6[3].w), x0);
            let b7 = mat4x4<f32>(subgroupBroadcast(c0, 7u), subgroupBroadcast(c1, 7u), subgroupBroadcast(c2, 7u), subgroupBroadcast(c3, 7u));
            a0_28 = mac(a0_28, vec4<f32>(b7[0].x, b7[1].x, b7[2].x, b7[3].x), x0);
            a0_29 = mac(a0_29, vec4<f32>(b7[0].y, b7[1].y, b7[2].y, b7[3].y), x0);
            a0_30 = mac(a0_30, vec4<f32>(b7[0].z, b7[1].z, b7[2].z, b7[3].z), x0);
            a0_31 = mac(a0_31, vec4<f32>(b7[0].w, b7[1].w, b7[2].w, b7[3].w), x0);
        } else {
            let bt0 = load_b(t, n0 + 0u + lane, layer);
            let bt1 = load_b(t, n0 + 8u + lane, layer);
            let bt2 = load_b(t, n0 + 16u + lane, layer);
            let bt3 = load_b(t, n0 + 24u + lane, layer);
            let b0 = subgroupBroadcast(bt0, 0u);
            a0_0 = mac(a0_0, b0, x0);
            let b1 = subgroupBroadcast(bt0, 1u);
            a0_1 = mac(a0_1, b1, x0);
            let b2 = subgroupBroadcast(bt0, 2u);
            a0_2 = mac(a0_2, b2, x0);
            let b3 = subgroupBroadcast(bt0, 3u);
            a0_3 = mac(a0_3, b3, x0);
            let b4 = subgroupBroadcast(bt0, 4u);
            a0_4 = mac(a0_4, b4, x0);
            let b5 = subgroupBroadcast(bt0, 5u);
            a0_5 = mac(a0_5, b5, x0);
            let b6 = subgroupBroadcast(bt0, 6u);
            a0_6 = mac(a0_6, b6, x0);
            let b7 = subgroupBroadcast(bt0, 7u);
            a0_7 = mac(a0_7, b7, x0);
            let b8 = subgroupBroadcast(bt1, 0u);
            a0_8 = mac(a0_8, b8, x0);
            let b9 = subgroupBroadcast(bt1, 1u);
            a0_9 = mac(a0_9, b9, x0);
            let b10 = subgroupBroadcast(bt1, 2u);
            a0_10 = mac(a0_10, b10, x0);
            let b11 = subgroupBroadcast(bt1, 3u);
            a0_11 = mac(a0_11, b11, x0);
            let b12 = subgroupBroadcast(bt1, 4u);
            a0_12 = mac(a0_12, b12, x0);
            let b13 = subgroupBroadcast(bt1, 5u);
            a0_13 = mac(a0_13, b13, x0);
            let b14 = subgroupBroadcast(bt1, 6u);
            a0_14 = mac(a0_14, b14, x0);
            let b15 = subgroupBroadcast(bt1, 7u);
            a0_15 = mac(a0_15, b15, x0);
            let b16 = subgroupBroadcast(bt2, 0u);
            a0_16 = mac(a0_16, b16, x0);
            let b17 = subgroupBroadcast(bt2, 1u);
            a0_17 = mac(a0_17, b17, x0);
            let b18 = subgroupBroadcast(bt2, 2u);
            a0_18 = mac(a0_18, b18, x0);
            let b19 = subgroupBroadcast(bt2, 3u);
            a0_19 = mac(a0_19, b19, x0);
            let b20 = subgroupBroadcast(bt2, 4u);
            a0_20 = mac(a0_20, b20, x0);
            let b21 = subgroupBroadcast(bt2, 5u);
            a0_21 = mac(a0_21, b21, x0);
            let b22 = subgroupBroadcast(bt2, 6u);
            a0_22 = mac(a0_22, b22, x0);
            let b23 = subgroupBroadcast(bt2, 7u);
            a0_23 = mac(a0_23, b23, x0);
            let b24 = subgroupBroadcast(bt3, 0u);
            a0_24 = mac(a0_24, b24, x0);
            let b25 = subgroupBroadcast(bt3, 1u);
            a0_25 = mac(a0_25, b25, x0);
            let b26 = subgroupBroadcast(bt3, 2u);
            a0_26 = mac(a0_26, b26, x0);
            let b27 = subgroupBroadcast(bt3, 3u);
            a0_27 = mac(a0_27, b27, x0);
            let b28 = subgroupBroadcast(bt3, 4u);
            a0_28 = mac(a0_28, b28, x0);
            let b29 = subgroupBroadcast(bt3, 5u);
            a0_29 = mac(a0_29, b29, x0);
            let b30 = subgroupBroadcast(bt3, 6u);
            a0_30 = mac(a0_30, b30, x0);
            let b31 = subgroupBroadcast(bt3, 7u);
            a0_31 = mac(a0_31, b31, x0);
        }
    }
    if (SPLIT) {
        store_part(base, m0, lane, n0 + 0u, a0_0);
        store_part(base, m0, lane, n0 + 1u, a0_1);
        store_part(base, m0, lane, n0 + 2u, a0_2);
        store_part(base, m0, lane, n0 + 3u, a0_3);
        store_part(base, m0, lane, n0 + 4u, a0_4);
        store_part(base, m0, lane, n0 + 5u, a0_5);
        store_part(base, m0, lane, n0 + 6u, a0_6);
        store_part(base, m0, lane, n0 + 7u, a0_7);
        store_part(base, m0, lane, n0 + 8u, a0_8);
        store_part(base, m0, lane, n0 + 9u, a0_9);
        store_part(base, m0, lane, n0 + 10u, a0_10);
        store_part(base, m0, lane, n0 + 11u, a0_11);
        store_part(base, m0, lane, n0 + 12u, a0_12);
        store_part(base, m0, lane, n0 + 13u, a0_13);
        store_part(base, m0, lane, n0 + 14u, a0_14);
        store_part(base, m0, lane, n0 + 15u, a0_15);
        store_part(base, m0, lane, n0 + 16u, a0_16);
        store_part(base, m0, lane, n0 + 17u, a0_17);
        store_part(base, m0, lane, n0 + 18u, a0_18);
        store_part(base, m0, lane, n0 + 19u, a0_19);
        store_part(base, m0, lane, n0 + 20u, a0_20);
        store_part(base, m0, lane, n0 + 21u, a0_21);
        store_part(base, m0, lane, n0 + 22u, a0_22);
        store_part(base, m0, lane, n0 + 23u, a0_23);
        store_part(base, m0, lane, n0 + 24u, a0_24);
        store_part(base, m0, lane, n0 + 25u, a0_25);
        store_part(base, m0, lane, n0 + 26u, a0_26);
        store_part(base, m0, lane, n0 + 27u, a0_27);
        store_part(base, m0, lane, n0 + 28u, a0_28);
        store_part(base, m0, lane, n0 + 29u, a0_29);
        store_part(base, m0, lane, n0 + 30u, a0_30);
        store_part(base, m0, lane, n0 + 31u, a0_31);
        return;
    }
    store_col(base, m0, lane, n0 + 0u, a0_0);
    store_col(base, m0, lane, n0 + 1u, a0_1);
    store_col(base, m0, lane, n0 + 2u, a0_2);
    store_col(base, m0, lane, n0 + 3u, a0_3);
    store_col(base, m0, lane, n0 + 4u, a0_4);
    store_col(base, m0, lane, n0 + 5u, a0_5);
    store_col(base, m0, lane, n0 + 6u, a0_6);
    store_col(base, m0, lane, n0 + 7u, a0_7);
    store_col(base, m0, lane, n0 + 8u, a0_8);
    store_col(base, m0, lane, n0 + 9u, a0_9);
    store_col(base, m0, lane, n0 + 10u, a0_10);
    store_col(base, m0, lane, n0 + 11u, a0_11);
    store_col(base, m0, lane, n0 + 12u, a0_12);
    store_col(base, m0, lane, n0 + 13u, a0_13);
    store_col(base, m0, lane, n0 + 14u, a0_14);
    store_col(base, m0, lane, n0 + 15u, a0_15);
    store_col(base, m0, lane, n0 + 16u, a0_16);
    store_col(base, m0, lane, n0 + 17u, a0_17);
    store_col(base, m0, lane, n0 + 18u, a0_18);
    store_col(base, m0, lane, n0 + 19u, a0_19);
    store_col(base, m0, lane, n0 + 20u, a0_20);
    store_col(base, m0, lane, n0 + 21u, a0_21);
    store_col(base, m0, lane, n0 + 22u, a0_22);
    store_col(base, m0, lane, n0 + 23u, a0_23);
    store_col(base, m0, lane, n0 + 24u, a0_24);
    store_col(base, m0, lane, n0 + 25u, a0_25);
    store_col(base, m0, lane, n0 + 26u, a0_26);
    store_col(base, m0, lane, n0 + 27u, a0_27);
    store_col(base, m0, lane, n0 + 28u, a0_28);
    store_col(base, m0, lane, n0 + 29u, a0_29);
    store_col(base, m0, lane, n0 + 30u, a0_30);
    store_col(base, m0, lane, n0 + 31u, a0_31);
}
