// conv2d_forward_tex.wgsl specialised to 3x3 kernels: each lane computes 3 adjacent output
// columns x 4 rows x 8 output channels (96 accumulators, most of them spilled to the stack).
// Neighbouring columns read overlapping input columns, so per input channel group a lane
// fetches 5 columns x 6 rows (the 3x3 taps of 3 outputs) instead of 3 x (3 x 6): 30 input
// and 9 weight fetches per 3456 multiply-adds against 27 per 1152. On lavapipe each
// textureLoad is an out-of-line call (~40% of the 1-column kernel's time, from perf), while
// spilled accumulators cost a vector load and store per 4 multiply-adds. Measured on
// 16x64x48x48 -> 64 (min of 7, same run): 1 column 105 ms, 2 columns 98, 3 columns 90,
// 4 columns 117 (spills dominate). The summation order per output (channel groups, kx, ky,
// then the 4 channels) is the generic kernel's, so both give bit-identical results.
// Workgroup = one subgroup of 8 lanes along x (24 columns); the input texture is padded to
// a multiple of 24 columns so no fetch needs a bounds check.

struct Params {
    w: u32, h: u32, cout: u32, c4: u32,
    k: u32, cout8: u32, off: u32, has_bias: u32,
    // act = 1: LeakyReLU(slope) applied to the result, then scaled = 1: multiplied by scale
    // (conv2d_multi.rs fuses the activation and a residual branch's scaling).
    act: u32, slope: f32, scaled: u32, scale: f32,
    // shuffle = 1: the result stored pixel-shuffled by 2 ([N, cout, h, w] -> [N, cout / 4,
    // 2h, 2w]: channel 4c + 2i + j, pixel (y, x) -> channel c, pixel (2y + i, 2x + j)), the
    // upsampler's shuffle costing no pass of its own; cout % 4 == 0 (conv2d_multi.rs).
    shuffle: u32,
}
// Output channels per workgroup: 8, or 4 where a conv has at most 4 (an image-producing
// last conv: 3 of 8 would leave 5 computed for nothing). With CO = 4 the blocks of channels
// 4..7 below are removed when the pipeline is created (CO is a pipeline constant), and
// p.cout8 counts groups of 4.
override CO: u32 = 8u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var xt: texture_2d_array<f32>;
@group(0) @binding(3) var wt: texture_2d<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn store(n: u32, co: u32, oy: u32, ox: u32, a: vec4<f32>) {
    if (co >= p.cout) { return; }
    var b = 0.0;
    if (p.has_bias == 1u) { b = bias[co]; }
    var base = p.off + ((n * p.cout + co) * p.h + oy) * p.w + ox;
    var step = p.w;
    if (p.shuffle == 1u) {
        let i = (co >> 1u) & 1u;
        let j = co & 1u;
        base = p.off + ((n * (p.cout >> 2u) + (co >> 2u)) * 2u * p.h + 2u * oy + i) * 2u * p.w + 2u * ox + j;
        step = 4u * p.w;
    }
    for (var r = 0u; r < 4u; r++) {
        if (oy + r < p.h) {
            var v = a[r] + b;
            if (p.act == 1u) { v = select(p.slope * v, v, v > 0.0); }
            if (p.scaled == 1u) { v = p.scale * v; }
            out[base + r * step] = v;
        }
    }
}

// a + (dot(v, row r's 4 channels)) for the 4 rows r, as 4 fused multiply-adds.
fn mac(a: vec4<f32>, v: vec4<f32>, c: mat4x4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(v.w), c[3], fma(vec4<f32>(v.z), c[2], fma(vec4<f32>(v.y), c[1], fma(vec4<f32>(v.x), c[0], a))));
}

// Input rows y..y+5 of texel column x: the 4-row windows of the 3 taps ky.
struct Col { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32> }

fn col(x: u32, y: u32, layer: u32) -> Col {
    return Col(
        textureLoad(xt, vec2<u32>(x, y), layer, 0),
        textureLoad(xt, vec2<u32>(x, y + 1u), layer, 0),
        textureLoad(xt, vec2<u32>(x, y + 2u), layer, 0),
        textureLoad(xt, vec2<u32>(x, y + 3u), layer, 0),
        textureLoad(xt, vec2<u32>(x, y + 4u), layer, 0),
        textureLoad(xt, vec2<u32>(x, y + 5u), layer, 0),
    );
}

@compute @workgroup_size(8, 1, 1)
fn conv2d_forward_tex3(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let ox = (wid.x * 8u + lid.x) * 3u;
    let oy = wid.y * 4u;
    let n = wid.z / p.cout8;
    let co0 = (wid.z % p.cout8) * CO;
    var a0_0 = vec4<f32>(0.0); var a0_1 = vec4<f32>(0.0); var a0_2 = vec4<f32>(0.0); var a0_3 = vec4<f32>(0.0); var a0_4 = vec4<f32>(0.0); var a0_5 = vec4<f32>(0.0); var a0_6 = vec4<f32>(0.0); var a0_7 = vec4<f32>(0.0);
    var a1_0 = vec4<f32>(0.0); var a1_1 = vec4<f32>(0.0); var a1_2 = vec4<f32>(0.0); var a1_3 = vec4<f32>(0.0); var a1_4 = vec4<f32>(0.0); var a1_5 = vec4<f32>(0.0); var a1_6 = vec4<f32>(0.0); var a1_7 = vec4<f32>(0.0);
    var a2_0 = vec4<f32>(0.0); var a2_1 = vec4<f32>(0.0); var a2_2 = vec4<f32>(0.0); var a2_3 = vec4<f32>(0.0); var a2_4 = vec4<f32>(0.0); var a2_5 = vec4<f32>(0.0); var a2_6 = vec4<f32>(0.0); var a2_7 = vec4<f32>(0.0);
    for (var q = 0u; q < p.c4; q++) {
        let layer = n * p.c4 + q;
        // Columns ox + kx .. ox + kx + 2 feed output columns ox .. ox + 2 at tap kx: two
        // carried over from the previous kx, one fetched.
        var c0 = col(ox + 0u, oy, layer);
        var c1 = col(ox + 1u, oy, layer);
        for (var kx = 0u; kx < 3u; kx++) {
            let c2 = col(ox + kx + 2u, oy, layer);
            {
                let wl = textureLoad(wt, vec2<u32>(co0 + lane, q * 9u + 0u + kx), 0);
                let t0 = transpose(mat4x4<f32>(c0.r0, c0.r1, c0.r2, c0.r3));
                let t1 = transpose(mat4x4<f32>(c1.r0, c1.r1, c1.r2, c1.r3));
                let t2 = transpose(mat4x4<f32>(c2.r0, c2.r1, c2.r2, c2.r3));
                { let s = subgroupBroadcast(wl, 0u); a0_0 = mac(a0_0, s, t0); a1_0 = mac(a1_0, s, t1); a2_0 = mac(a2_0, s, t2); }
                { let s = subgroupBroadcast(wl, 1u); a0_1 = mac(a0_1, s, t0); a1_1 = mac(a1_1, s, t1); a2_1 = mac(a2_1, s, t2); }
                { let s = subgroupBroadcast(wl, 2u); a0_2 = mac(a0_2, s, t0); a1_2 = mac(a1_2, s, t1); a2_2 = mac(a2_2, s, t2); }
                { let s = subgroupBroadcast(wl, 3u); a0_3 = mac(a0_3, s, t0); a1_3 = mac(a1_3, s, t1); a2_3 = mac(a2_3, s, t2); }
                if (CO == 8u) {
                    { let s = subgroupBroadcast(wl, 4u); a0_4 = mac(a0_4, s, t0); a1_4 = mac(a1_4, s, t1); a2_4 = mac(a2_4, s, t2); }
                    { let s = subgroupBroadcast(wl, 5u); a0_5 = mac(a0_5, s, t0); a1_5 = mac(a1_5, s, t1); a2_5 = mac(a2_5, s, t2); }
                    { let s = subgroupBroadcast(wl, 6u); a0_6 = mac(a0_6, s, t0); a1_6 = mac(a1_6, s, t1); a2_6 = mac(a2_6, s, t2); }
                    { let s = subgroupBroadcast(wl, 7u); a0_7 = mac(a0_7, s, t0); a1_7 = mac(a1_7, s, t1); a2_7 = mac(a2_7, s, t2); }
                }
            }
            {
                let wl = textureLoad(wt, vec2<u32>(co0 + lane, q * 9u + 3u + kx), 0);
                let t0 = transpose(mat4x4<f32>(c0.r1, c0.r2, c0.r3, c0.r4));
                let t1 = transpose(mat4x4<f32>(c1.r1, c1.r2, c1.r3, c1.r4));
                let t2 = transpose(mat4x4<f32>(c2.r1, c2.r2, c2.r3, c2.r4));
                { let s = subgroupBroadcast(wl, 0u); a0_0 = mac(a0_0, s, t0); a1_0 = mac(a1_0, s, t1); a2_0 = mac(a2_0, s, t2); }
                { let s = subgroupBroadcast(wl, 1u); a0_1 = mac(a0_1, s, t0); a1_1 = mac(a1_1, s, t1); a2_1 = mac(a2_1, s, t2); }
                { let s = subgroupBroadcast(wl, 2u); a0_2 = mac(a0_2, s, t0); a1_2 = mac(a1_2, s, t1); a2_2 = mac(a2_2, s, t2); }
                { let s = subgroupBroadcast(wl, 3u); a0_3 = mac(a0_3, s, t0); a1_3 = mac(a1_3, s, t1); a2_3 = mac(a2_3, s, t2); }
                if (CO == 8u) {
                    { let s = subgroupBroadcast(wl, 4u); a0_4 = mac(a0_4, s, t0); a1_4 = mac(a1_4, s, t1); a2_4 = mac(a2_4, s, t2); }
                    { let s = subgroupBroadcast(wl, 5u); a0_5 = mac(a0_5, s, t0); a1_5 = mac(a1_5, s, t1); a2_5 = mac(a2_5, s, t2); }
                    { let s = subgroupBroadcast(wl, 6u); a0_6 = mac(a0_6, s, t0); a1_6 = mac(a1_6, s, t1); a2_6 = mac(a2_6, s, t2); }
                    { let s = subgroupBroadcast(wl, 7u); a0_7 = mac(a0_7, s, t0); a1_7 = mac(a1_7, s, t1); a2_7 = mac(a2_7, s, t2); }
                }
            }
            {
                let wl = textureLoad(wt, vec2<u32>(co0 + lane, q * 9u + 6u + kx), 0);
                let t0 = transpose(mat4x4<f32>(c0.r2, c0.r3, c0.r4, c0.r5));
                let t1 = transpose(mat4x4<f32>(c1.r2, c1.r3, c1.r4, c1.r5));
                let t2 = transpose(mat4x4<f32>(c2.r2, c2.r3, c2.r4, c2.r5));
                { let s = subgroupBroadcast(wl, 0u); a0_0 = mac(a0_0, s, t0); a1_0 = mac(a1_0, s, t1); a2_0 = mac(a2_0, s, t2); }
                { let s = subgroupBroadcast(wl, 1u); a0_1 = mac(a0_1, s, t0); a1_1 = mac(a1_1, s, t1); a2_1 = mac(a2_1, s, t2); }
                { let s = subgroupBroadcast(wl, 2u); a0_2 = mac(a0_2, s, t0); a1_2 = mac(a1_2, s, t1); a2_2 = mac(a2_2, s, t2); }
                { let s = subgroupBroadcast(wl, 3u); a0_3 = mac(a0_3, s, t0); a1_3 = mac(a1_3, s, t1); a2_3 = mac(a2_3, s, t2); }
                if (CO == 8u) {
                    { let s = subgroupBroadcast(wl, 4u); a0_4 = mac(a0_4, s, t0); a1_4 = mac(a1_4, s, t1); a2_4 = mac(a2_4, s, t2); }
                    { let s = subgroupBroadcast(wl, 5u); a0_5 = mac(a0_5, s, t0); a1_5 = mac(a1_5, s, t1); a2_5 = mac(a2_5, s, t2); }
                    { let s = subgroupBroadcast(wl, 6u); a0_6 = mac(a0_6, s, t0); a1_6 = mac(a1_6, s, t1); a2_6 = mac(a2_6, s, t2); }
                    { let s = subgroupBroadcast(wl, 7u); a0_7 = mac(a0_7, s, t0); a1_7 = mac(a1_7, s, t1); a2_7 = mac(a2_7, s, t2); }
                }
            }
            c0 = c1;
            c1 = c2;
        }
    }
    if (ox + 0u < p.w) {
        store(n, co0 + 0u, oy, ox + 0u, a0_0);
        store(n, co0 + 1u, oy, ox + 0u, a0_1);
        store(n, co0 + 2u, oy, ox + 0u, a0_2);
        store(n, co0 + 3u, oy, ox + 0u, a0_3);
        if (CO == 8u) {
            store(n, co0 + 4u, oy, ox + 0u, a0_4);
            store(n, co0 + 5u, oy, ox + 0u, a0_5);
            store(n, co0 + 6u, oy, ox + 0u, a0_6);
            store(n, co0 + 7u, oy, ox + 0u, a0_7);
        }
    }
    if (ox + 1u < p.w) {
        store(n, co0 + 0u, oy, ox + 1u, a1_0);
        store(n, co0 + 1u, oy, ox + 1u, a1_1);
        store(n, co0 + 2u, oy, ox + 1u, a1_2);
        store(n, co0 + 3u, oy, ox + 1u, a1_3);
        if (CO == 8u) {
            store(n, co0 + 4u, oy, ox + 1u, a1_4);
            store(n, co0 + 5u, oy, ox + 1u, a1_5);
            store(n, co0 + 6u, oy, ox + 1u, a1_6);
            store(n, co0 + 7u, oy, ox + 1u, a1_7);
        }
    }
    if (ox + 2u < p.w) {
        store(n, co0 + 0u, oy, ox + 2u, a2_0);
        store(n, co0 + 1u, oy, ox + 2u, a2_1);
        store(n, co0 + 2u, oy, ox + 2u, a2_2);
        store(n, co0 + 3u, oy, ox + 2u, a2_3);
        if (CO == 8u) {
            store(n, co0 + 4u, oy, ox + 2u, a2_4);
            store(n, co0 + 5u, oy, ox + 2u, a2_5);
            store(n, co0 + 6u, oy, ox + 2u, a2_6);
            store(n, co0 + 7u, oy, ox + 2u, a2_7);
        }
    }
}
