// Winograd F(2x2, 3x3) forward (and input gradient): the 16 GEMMs M_xi = V_xi U_xi and the
// output transform Y = A^T M A (+ bias) in one kernel (src/ops/conv_winograd.rs). V comes from
// conv_winograd_input.wgsl (texel (q, t) of layer xi = input channels 4q..4q+3 of tile t), U^T
// from conv_winograd_weight.wgsl (texel (q, o) of layer xi).
// One workgroup = one subgroup of 8 lanes computes 32 tiles x 32 output channels, as
// matmul_tex.wgsl computes a 32 x 32 tile: each lane owns tiles t0 + lane + 8 r (r < 4) and
// all 32 channels, as 32 vec4 accumulators acc_j (channel o0 + j, the vec4 over the lane's 4
// tiles); B^T texels are fetched one per lane and shared by subgroupBroadcast. After each
// position xi's k loop, acc_j is added into the 4 output accumulators y<a><b>_j with the
// coefficients A^T[a][r] A^T[b][c] (xi = 4 r + c; 0 or +-1, exact), so the 16 products never
// leave the workgroup. Only the 2x2 outputs are stored: 4 per tile and channel instead of the
// 16 products plus a separate output pass (on lavapipe every storage store is a per-lane loop;
// the products' stores took about as long as their multiply-adds at Cin = 64).
// The per-output summation order is fixed (k ascending per xi, xi ascending): deterministic.
// Needs subgroups of at least 8 lanes; the workgroup of 8 fills one subgroup.
// (Unrolled code: generated for 32 channels per lane.)
struct Params {
    w: u32, h: u32, cout: u32, kt: u32,
    tw: u32, tpi: u32, tiles: u32, off: u32,
    has_bias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var vt: texture_2d_array<f32>;
@group(0) @binding(3) var ut: texture_2d_array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// acc + sum_e b[e] * t[e]: b holds channel j's 4 k values (a broadcast), t[e] the lane's 4
// tiles at k value e.
fn mac(acc: vec4<f32>, b: vec4<f32>, t: mat4x4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(b.w), t[3], fma(vec4<f32>(b.z), t[2], fma(vec4<f32>(b.y), t[1], fma(vec4<f32>(b.x), t[0], acc))));
}

// A^T[a][r]: row 0 = (1, 1, 1, 0), row 1 = (0, 1, -1, -1).
fn at0(r: u32) -> f32 { return select(1.0, 0.0, r == 3u); }
fn at1(r: u32) -> f32 { return select(select(-1.0, 1.0, r == 1u), 0.0, r == 0u); }

// The lane's 4 tiles: element offset of output pixel (2ty, 2tx) of channel 0 (o adds o h w),
// and which of its 4 pixels exist (bit 0: the tile exists, 1: x + 1 exists, 2: y + 1 exists).
struct Tiles { pix: vec4<u32>, ok: vec4<u32> }

fn tiles_of(m0: u32) -> Tiles {
    var s: Tiles;
    for (var r = 0u; r < 4u; r++) {
        let t = m0 + 8u * r;
        let n = t / p.tpi;
        let i = t % p.tpi;
        let y0 = 2u * (i / p.tw);
        let x0 = 2u * (i % p.tw);
        s.pix[r] = p.off + (n * p.cout * p.h + y0) * p.w + x0;
        s.ok[r] = select(0u, 1u, t < p.tiles) | select(0u, 2u, x0 + 1u < p.w) | select(0u, 4u, y0 + 1u < p.h);
    }
    return s;
}

fn store(s: Tiles, o: u32, v00: vec4<f32>, v01: vec4<f32>, v10: vec4<f32>, v11: vec4<f32>) {
    if (o >= p.cout) { return; }
    var b = 0.0;
    if (p.has_bias == 1u) { b = bias[o]; }
    let plane = o * p.h * p.w;
    for (var r = 0u; r < 4u; r++) {
        let ok = s.ok[r];
        if ((ok & 1u) == 0u) { return; }
        let base = s.pix[r] + plane;
        y[base] = v00[r] + b;
        if ((ok & 2u) != 0u) { y[base + 1u] = v01[r] + b; }
        if ((ok & 4u) != 0u) {
            y[base + p.w] = v10[r] + b;
            if ((ok & 2u) != 0u) { y[base + p.w + 1u] = v11[r] + b; }
        }
    }
}

@compute @workgroup_size(8)
fn wino_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let o0 = wid.x * 32u;
    let m0 = wid.y * 32u + lane;
    var y00_0 = vec4<f32>(0.0);
    var y00_1 = vec4<f32>(0.0);
    var y00_2 = vec4<f32>(0.0);
    var y00_3 = vec4<f32>(0.0);
    var y00_4 = vec4<f32>(0.0);
    var y00_5 = vec4<f32>(0.0);
    var y00_6 = vec4<f32>(0.0);
    var y00_7 = vec4<f32>(0.0);
    var y00_8 = vec4<f32>(0.0);
    var y00_9 = vec4<f32>(0.0);
    var y00_10 = vec4<f32>(0.0);
    var y00_11 = vec4<f32>(0.0);
    var y00_12 = vec4<f32>(0.0);
    var y00_13 = vec4<f32>(0.0);
    var y00_14 = vec4<f32>(0.0);
    var y00_15 = vec4<f32>(0.0);
    var y00_16 = vec4<f32>(0.0);
    var y00_17 = vec4<f32>(0.0);
    var y00_18 = vec4<f32>(0.0);
    var y00_19 = vec4<f32>(0.0);
    var y00_20 = vec4<f32>(0.0);
    var y00_21 = vec4<f32>(0.0);
    var y00_22 = vec4<f32>(0.0);
    var y00_23 = vec4<f32>(0.0);
    var y00_24 = vec4<f32>(0.0);
    var y00_25 = vec4<f32>(0.0);
    var y00_26 = vec4<f32>(0.0);
    var y00_27 = vec4<f32>(0.0);
    var y00_28 = vec4<f32>(0.0);
    var y00_29 = vec4<f32>(0.0);
    var y00_30 = vec4<f32>(0.0);
    var y00_31 = vec4<f32>(0.0);
    var y01_0 = vec4<f32>(0.0);
    var y01_1 = vec4<f32>(0.0);
    var y01_2 = vec4<f32>(0.0);
    var y01_3 = vec4<f32>(0.0);
    var y01_4 = vec4<f32>(0.0);
    var y01_5 = vec4<f32>(0.0);
    var y01_6 = vec4<f32>(0.0);
    var y01_7 = vec4<f32>(0.0);
    var y01_8 = vec4<f32>(0.0);
    var y01_9 = vec4<f32>(0.0);
    var y01_10 = vec4<f32>(0.0);
    var y01_11 = vec4<f32>(0.0);
    var y01_12 = vec4<f32>(0.0);
    var y01_13 = vec4<f32>(0.0);
    var y01_14 = vec4<f32>(0.0);
    var y01_15 = vec4<f32>(0.0);
    var y01_16 = vec4<f32>(0.0);
    var y01_17 = vec4<f32>(0.0);
    var y01_18 = vec4<f32>(0.0);
    var y01_19 = vec4<f32>(0.0);
    var y01_20 = vec4<f32>(0.0);
    var y01_21 = vec4<f32>(0.0);
    var y01_22 = vec4<f32>(0.0);
    var y01_23 = vec4<f32>(0.0);
    var y01_24 = vec4<f32>(0.0);
    var y01_25 = vec4<f32>(0.0);
    var y01_26 = vec4<f32>(0.0);
    var y01_27 = vec4<f32>(0.0);
    var y01_28 = vec4<f32>(0.0);
    var y01_29 = vec4<f32>(0.0);
    var y01_30 = vec4<f32>(0.0);
    var y01_31 = vec4<f32>(0.0);
    var y10_0 = vec4<f32>(0.0);
    var y10_1 = vec4<f32>(0.0);
    var y10_2 = vec4<f32>(0.0);
    var y10_3 = vec4<f32>(0.0);
    var y10_4 = vec4<f32>(0.0);
    var y10_5 = vec4<f32>(0.0);
    var y10_6 = vec4<f32>(0.0);
    var y10_7 = vec4<f32>(0.0);
    var y10_8 = vec4<f32>(0.0);
    var y10_9 = vec4<f32>(0.0);
    var y10_10 = vec4<f32>(0.0);
    var y10_11 = vec4<f32>(0.0);
    var y10_12 = vec4<f32>(0.0);
    var y10_13 = vec4<f32>(0.0);
    var y10_14 = vec4<f32>(0.0);
    var y10_15 = vec4<f32>(0.0);
    var y10_16 = vec4<f32>(0.0);
    var y10_17 = vec4<f32>(0.0);
    var y10_18 = vec4<f32>(0.0);
    var y10_19 = vec4<f32>(0.0);
    var y10_20 = vec4<f32>(0.0);
    var y10_21 = vec4<f32>(0.0);
    var y10_22 = vec4<f32>(0.0);
    var y10_23 = vec4<f32>(0.0);
    var y10_24 = vec4<f32>(0.0);
    var y10_25 = vec4<f32>(0.0);
    var y10_26 = vec4<f32>(0.0);
    var y10_27 = vec4<f32>(0.0);
    var y10_28 = vec4<f32>(0.0);
    var y10_29 = vec4<f32>(0.0);
    var y10_30 = vec4<f32>(0.0);
    var y10_31 = vec4<f32>(0.0);
    var y11_0 = vec4<f32>(0.0);
    var y11_1 = vec4<f32>(0.0);
    var y11_2 = vec4<f32>(0.0);
    var y11_3 = vec4<f32>(0.0);
    var y11_4 = vec4<f32>(0.0);
    var y11_5 = vec4<f32>(0.0);
    var y11_6 = vec4<f32>(0.0);
    var y11_7 = vec4<f32>(0.0);
    var y11_8 = vec4<f32>(0.0);
    var y11_9 = vec4<f32>(0.0);
    var y11_10 = vec4<f32>(0.0);
    var y11_11 = vec4<f32>(0.0);
    var y11_12 = vec4<f32>(0.0);
    var y11_13 = vec4<f32>(0.0);
    var y11_14 = vec4<f32>(0.0);
    var y11_15 = vec4<f32>(0.0);
    var y11_16 = vec4<f32>(0.0);
    var y11_17 = vec4<f32>(0.0);
    var y11_18 = vec4<f32>(0.0);
    var y11_19 = vec4<f32>(0.0);
    var y11_20 = vec4<f32>(0.0);
    var y11_21 = vec4<f32>(0.0);
    var y11_22 = vec4<f32>(0.0);
    var y11_23 = vec4<f32>(0.0);
    var y11_24 = vec4<f32>(0.0);
    var y11_25 = vec4<f32>(0.0);
    var y11_26 = vec4<f32>(0.0);
    var y11_27 = vec4<f32>(0.0);
    var y11_28 = vec4<f32>(0.0);
    var y11_29 = vec4<f32>(0.0);
    var y11_30 = vec4<f32>(0.0);
    var y11_31 = vec4<f32>(0.0);
    for (var xi = 0u; xi < 16u; xi++) {
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        var acc4 = vec4<f32>(0.0);
        var acc5 = vec4<f32>(0.0);
        var acc6 = vec4<f32>(0.0);
        var acc7 = vec4<f32>(0.0);
        var acc8 = vec4<f32>(0.0);
        var acc9 = vec4<f32>(0.0);
        var acc10 = vec4<f32>(0.0);
        var acc11 = vec4<f32>(0.0);
        var acc12 = vec4<f32>(0.0);
        var acc13 = vec4<f32>(0.0);
        var acc14 = vec4<f32>(0.0);
        var acc15 = vec4<f32>(0.0);
        var acc16 = vec4<f32>(0.0);
        var acc17 = vec4<f32>(0.0);
        var acc18 = vec4<f32>(0.0);
        var acc19 = vec4<f32>(0.0);
        var acc20 = vec4<f32>(0.0);
        var acc21 = vec4<f32>(0.0);
        var acc22 = vec4<f32>(0.0);
        var acc23 = vec4<f32>(0.0);
        var acc24 = vec4<f32>(0.0);
        var acc25 = vec4<f32>(0.0);
        var acc26 = vec4<f32>(0.0);
        var acc27 = vec4<f32>(0.0);
        var acc28 = vec4<f32>(0.0);
        var acc29 = vec4<f32>(0.0);
        var acc30 = vec4<f32>(0.0);
        var acc31 = vec4<f32>(0.0);
        for (var k = 0u; k < p.kt; k++) {
            let bt0 = textureLoad(ut, vec2<u32>(k, o0 + 0u + lane), xi, 0);
            let bt1 = textureLoad(ut, vec2<u32>(k, o0 + 8u + lane), xi, 0);
            let bt2 = textureLoad(ut, vec2<u32>(k, o0 + 16u + lane), xi, 0);
            let bt3 = textureLoad(ut, vec2<u32>(k, o0 + 24u + lane), xi, 0);
            let x = transpose(mat4x4<f32>(textureLoad(vt, vec2<u32>(k, m0), xi, 0), textureLoad(vt, vec2<u32>(k, m0 + 8u), xi, 0), textureLoad(vt, vec2<u32>(k, m0 + 16u), xi, 0), textureLoad(vt, vec2<u32>(k, m0 + 24u), xi, 0)));
            acc0 = mac(acc0, subgroupBroadcast(bt0, 0u), x);
            acc1 = mac(acc1, subgroupBroadcast(bt0, 1u), x);
            acc2 = mac(acc2, subgroupBroadcast(bt0, 2u), x);
            acc3 = mac(acc3, subgroupBroadcast(bt0, 3u), x);
            acc4 = mac(acc4, subgroupBroadcast(bt0, 4u), x);
            acc5 = mac(acc5, subgroupBroadcast(bt0, 5u), x);
            acc6 = mac(acc6, subgroupBroadcast(bt0, 6u), x);
            acc7 = mac(acc7, subgroupBroadcast(bt0, 7u), x);
            acc8 = mac(acc8, subgroupBroadcast(bt1, 0u), x);
            acc9 = mac(acc9, subgroupBroadcast(bt1, 1u), x);
            acc10 = mac(acc10, subgroupBroadcast(bt1, 2u), x);
            acc11 = mac(acc11, subgroupBroadcast(bt1, 3u), x);
            acc12 = mac(acc12, subgroupBroadcast(bt1, 4u), x);
            acc13 = mac(acc13, subgroupBroadcast(bt1, 5u), x);
            acc14 = mac(acc14, subgroupBroadcast(bt1, 6u), x);
            acc15 = mac(acc15, subgroupBroadcast(bt1, 7u), x);
            acc16 = mac(acc16, subgroupBroadcast(bt2, 0u), x);
            acc17 = mac(acc17, subgroupBroadcast(bt2, 1u), x);
            acc18 = mac(acc18, subgroupBroadcast(bt2, 2u), x);
            acc19 = mac(acc19, subgroupBroadcast(bt2, 3u), x);
            acc20 = mac(acc20, subgroupBroadcast(bt2, 4u), x);
            acc21 = mac(acc21, subgroupBroadcast(bt2, 5u), x);
            acc22 = mac(acc22, subgroupBroadcast(bt2, 6u), x);
            acc23 = mac(acc23, subgroupBroadcast(bt2, 7u), x);
            acc24 = mac(acc24, subgroupBroadcast(bt3, 0u), x);
            acc25 = mac(acc25, subgroupBroadcast(bt3, 1u), x);
            acc26 = mac(acc26, subgroupBroadcast(bt3, 2u), x);
            acc27 = mac(acc27, subgroupBroadcast(bt3, 3u), x);
            acc28 = mac(acc28, subgroupBroadcast(bt3, 4u), x);
            acc29 = mac(acc29, subgroupBroadcast(bt3, 5u), x);
            acc30 = mac(acc30, subgroupBroadcast(bt3, 6u), x);
            acc31 = mac(acc31, subgroupBroadcast(bt3, 7u), x);
        }
        let r = xi / 4u;
        let c = xi % 4u;
        let k00 = vec4<f32>(at0(r) * at0(c));
        let k01 = vec4<f32>(at0(r) * at1(c));
        let k10 = vec4<f32>(at1(r) * at0(c));
        let k11 = vec4<f32>(at1(r) * at1(c));
        y00_0 = fma(k00, acc0, y00_0); y01_0 = fma(k01, acc0, y01_0); y10_0 = fma(k10, acc0, y10_0); y11_0 = fma(k11, acc0, y11_0);
        y00_1 = fma(k00, acc1, y00_1); y01_1 = fma(k01, acc1, y01_1); y10_1 = fma(k10, acc1, y10_1); y11_1 = fma(k11, acc1, y11_1);
        y00_2 = fma(k00, acc2, y00_2); y01_2 = fma(k01, acc2, y01_2); y10_2 = fma(k10, acc2, y10_2); y11_2 = fma(k11, acc2, y11_2);
        y00_3 = fma(k00, acc3, y00_3); y01_3 = fma(k01, acc3, y01_3); y10_3 = fma(k10, acc3, y10_3); y11_3 = fma(k11, acc3, y11_3);
        y00_4 = fma(k00, acc4, y00_4); y01_4 = fma(k01, acc4, y01_4); y10_4 = fma(k10, acc4, y10_4); y11_4 = fma(k11, acc4, y11_4);
        y00_5 = fma(k00, acc5, y00_5); y01_5 = fma(k01, acc5, y01_5); y10_5 = fma(k10, acc5, y10_5); y11_5 = fma(k11, acc5, y11_5);
        y00_6 = fma(k00, acc6, y00_6); y01_6 = fma(k01, acc6, y01_6); y10_6 = fma(k10, acc6, y10_6); y11_6 = fma(k11, acc6, y11_6);
        y00_7 = fma(k00, acc7, y00_7); y01_7 = fma(k01, acc7, y01_7); y10_7 = fma(k10, acc7, y10_7); y11_7 = fma(k11, acc7, y11_7);
        y00_8 = fma(k00, acc8, y00_8); y01_8 = fma(k01, acc8, y01_8); y10_8 = fma(k10, acc8, y10_8); y11_8 = fma(k11, acc8, y11_8);
        y00_9 = fma(k00, acc9, y00_9); y01_9 = fma(k01, acc9, y01_9); y10_9 = fma(k10, acc9, y10_9); y11_9 = fma(k11, acc9, y11_9);
        y00_10 = fma(k00, acc10, y00_10); y01_10 = fma(k01, acc10, y01_10); y10_10 = fma(k10, acc10, y10_10); y11_10 = fma(k11, acc10, y11_10);
        y00_11 = fma(k00, acc11, y00_11); y01_11 = fma(k01, acc11, y01_11); y10_11 = fma(k10, acc11, y10_11); y11_11 = fma(k11, acc11, y11_11);
        y00_12 = fma(k00, acc12, y00_12); y01_12 = fma(k01, acc12, y01_12); y10_12 = fma(k10, acc12, y10_12); y11_12 = fma(k11, acc12, y11_12);
        y00_13 = fma(k00, acc13, y00_13); y01_13 = fma(k01, acc13, y01_13); y10_13 = fma(k10, acc13, y10_13); y11_13 = fma(k11, acc13, y11_13);
        y00_14 = fma(k00, acc14, y00_14); y01_14 = fma(k01, acc14, y01_14); y10_14 = fma(k10, acc14, y10_14); y11_14 = fma(k11, acc14, y11_14);
        y00_15 = fma(k00, acc15, y00_15); y01_15 = fma(k01, acc15, y01_15); y10_15 = fma(k10, acc15, y10_15); y11_15 = fma(k11, acc15, y11_15);
        y00_16 = fma(k00, acc16, y00_16); y01_16 = fma(k01, acc16, y01_16); y10_16 = fma(k10, acc16, y10_16); y11_16 = fma(k11, acc16, y11_16);
        y00_17 = fma(k00, acc17, y00_17); y01_17 = fma(k01, acc17, y01_17); y10_17 = fma(k10, acc17, y10_17); y11_17 = fma(k11, acc17, y11_17);
        y00_18 = fma(k00, acc18, y00_18); y01_18 = fma(k01, acc18, y01_18); y10_18 = fma(k10, acc18, y10_18); y11_18 = fma(k11, acc18, y11_18);
        y00_19 = fma(k00, acc19, y00_19); y01_19 = fma(k01, acc19, y01_19); y10_19 = fma(k10, acc19, y10_19); y11_19 = fma(k11, acc19, y11_19);
        y00_20 = fma(k00, acc20, y00_20); y01_20 = fma(k01, acc20, y01_20); y10_20 = fma(k10, acc20, y10_20); y11_20 = fma(k11, acc20, y11_20);
        y00_21 = fma(k00, acc21, y00_21); y01_21 = fma(k01, acc21, y01_21); y10_21 = fma(k10, acc21, y10_21); y11_21 = fma(k11, acc21, y11_21);
        y00_22 = fma(k00, acc22, y00_22); y01_22 = fma(k01, acc22, y01_22); y10_22 = fma(k10, acc22, y10_22); y11_22 = fma(k11, acc22, y11_22);
        y00_23 = fma(k00, acc23, y00_23); y01_23 = fma(k01, acc23, y01_23); y10_23 = fma(k10, acc23, y10_23); y11_23 = fma(k11, acc23, y11_23);
        y00_24 = fma(k00, acc24, y00_24); y01_24 = fma(k01, acc24, y01_24); y10_24 = fma(k10, acc24, y10_24); y11_24 = fma(k11, acc24, y11_24);
        y00_25 = fma(k00, acc25, y00_25); y01_25 = fma(k01, acc25, y01_25); y10_25 = fma(k10, acc25, y10_25); y11_25 = fma(k11, acc25, y11_25);
        y00_26 = fma(k00, acc26, y00_26); y01_26 = fma(k01, acc26, y01_26); y10_26 = fma(k10, acc26, y10_26); y11_26 = fma(k11, acc26, y11_26);
        y00_27 = fma(k00, acc27, y00_27); y01_27 = fma(k01, acc27, y01_27); y10_27 = fma(k10, acc27, y10_27); y11_27 = fma(k11, acc27, y11_27);
        y00_28 = fma(k00, acc28, y00_28); y01_28 = fma(k01, acc28, y01_28); y10_28 = fma(k10, acc28, y10_28); y11_28 = fma(k11, acc28, y11_28);
        y00_29 = fma(k00, acc29, y00_29); y01_29 = fma(k01, acc29, y01_29); y10_29 = fma(k10, acc29, y10_29); y11_29 = fma(k11, acc29, y11_29);
        y00_30 = fma(k00, acc30, y00_30); y01_30 = fma(k01, acc30, y01_30); y10_30 = fma(k10, acc30, y10_30); y11_30 = fma(k11, acc30, y11_30);
        y00_31 = fma(k00, acc31, y00_31); y01_31 = fma(k01, acc31, y01_31); y10_31 = fma(k10, acc31, y10_31); y11_31 = fma(k11, acc31, y11_31);
    }
    let s = tiles_of(m0);
    store(s, o0 + 0u, y00_0, y01_0, y10_0, y11_0);
    store(s, o0 + 1u, y00_1, y01_1, y10_1, y11_1);
    store(s, o0 + 2u, y00_2, y01_2, y10_2, y11_2);
    store(s, o0 + 3u, y00_3, y01_3, y10_3, y11_3);
    store(s, o0 + 4u, y00_4, y01_4, y10_4, y11_4);
    store(s, o0 + 5u, y00_5, y01_5, y10_5, y11_5);
    store(s, o0 + 6u, y00_6, y01_6, y10_6, y11_6);
    store(s, o0 + 7u, y00_7, y01_7, y10_7, y11_7);
    store(s, o0 + 8u, y00_8, y01_8, y10_8, y11_8);
    store(s, o0 + 9u, y00_9, y01_9, y10_9, y11_9);
    store(s, o0 + 10u, y00_10, y01_10, y10_10, y11_10);
    store(s, o0 + 11u, y00_11, y01_11, y10_11, y11_11);
    store(s, o0 + 12u, y00_12, y01_12, y10_12, y11_12);
    store(s, o0 + 13u, y00_13, y01_13, y10_13, y11_13);
    store(s, o0 + 14u, y00_14, y01_14, y10_14, y11_14);
    store(s, o0 + 15u, y00_15, y01_15, y10_15, y11_15);
    store(s, o0 + 16u, y00_16, y01_16, y10_16, y11_16);
    store(s, o0 + 17u, y00_17, y01_17, y10_17, y11_17);
    store(s, o0 + 18u, y00_18, y01_18, y10_18, y11_18);
    store(s, o0 + 19u, y00_19, y01_19, y10_19, y11_19);
    store(s, o0 + 20u, y00_20, y01_20, y10_20, y11_20);
    store(s, o0 + 21u, y00_21, y01_21, y10_21, y11_21);
    store(s, o0 + 22u, y00_22, y01_22, y10_22, y11_22);
    store(s, o0 + 23u, y00_23, y01_23, y10_23, y11_23);
    store(s, o0 + 24u, y00_24, y01_24, y10_24, y11_24);
    store(s, o0 + 25u, y00_25, y01_25, y10_25, y11_25);
    store(s, o0 + 26u, y00_26, y01_26, y10_26, y11_26);
    store(s, o0 + 27u, y00_27, y01_27, y10_27, y11_27);
    store(s, o0 + 28u, y00_28, y01_28, y10_28, y11_28);
    store(s, o0 + 29u, y00_29, y01_29, y10_29, y11_29);
    store(s, o0 + 30u, y00_30, y01_30, y10_30, y11_30);
    store(s, o0 + 31u, y00_31, y01_31, y10_31, y11_31);
}
