// Direct convolution on padded NHWC textures (see conv2d_pack_*.wgsl). One workgroup = one
// subgroup of 8 lanes along x; each lane computes 8 output channels x 4 output rows (32
// accumulators). Each lane fetches the 4-channel weight texel of "its" output channel and
// the 8 lanes share them with subgroupBroadcast at constant lanes; a window of 4 input rows
// slides down over ky, so each fetched input texel feeds up to 32 k multiply-adds and each
// weight texel 4 rows x 8 lanes. Measured on lavapipe: 8 rows x 4 channels per lane was slower
// (spills), 4 rows x 16 channels no faster, one input fetch per row and tap ~20% slower.
// Also the input gradient: the same kernel on dout with flipped, transposed weights.

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

@compute @workgroup_size(8, 1, 1)
fn conv2d_forward_tex(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let ox = wid.x * 8u + lid.x;
    let oy = wid.y * 4u;
    let n = wid.z / p.cout8;
    let co0 = (wid.z % p.cout8) * 8u;
    let kk = p.k * p.k;
    var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
    for (var q = 0u; q < p.c4; q++) {
        let layer = n * p.c4 + q;
        for (var kx = 0u; kx < p.k; kx++) {
            let x = ox + kx;
            // A window of 4 input rows slides down by one row per ky: k + 3 fetches per kx.
            var r0 = vec4<f32>(0.0);
            var r1 = textureLoad(xt, vec2<u32>(x, oy), layer, 0);
            var r2 = textureLoad(xt, vec2<u32>(x, oy + 1u), layer, 0);
            var r3 = textureLoad(xt, vec2<u32>(x, oy + 2u), layer, 0);
            for (var ky = 0u; ky < p.k; ky++) {
                r0 = r1;
                r1 = r2;
                r2 = r3;
                r3 = textureLoad(xt, vec2<u32>(x, oy + ky + 3u), layer, 0);
                let wl = textureLoad(wt, vec2<u32>(co0 + lane, q * kk + ky * p.k + kx), 0);
                // Rows of the block as columns: c[i] = channel i of the 4 input rows.
                let c = transpose(mat4x4<f32>(r0, r1, r2, r3));
                a0 = mac(a0, subgroupBroadcast(wl, 0u), c);
                a1 = mac(a1, subgroupBroadcast(wl, 1u), c);
                a2 = mac(a2, subgroupBroadcast(wl, 2u), c);
                a3 = mac(a3, subgroupBroadcast(wl, 3u), c);
                a4 = mac(a4, subgroupBroadcast(wl, 4u), c);
                a5 = mac(a5, subgroupBroadcast(wl, 5u), c);
                a6 = mac(a6, subgroupBroadcast(wl, 6u), c);
                a7 = mac(a7, subgroupBroadcast(wl, 7u), c);
            }
        }
    }
    if (ox >= p.w) { return; }
    store(n, co0, oy, ox, a0);
    store(n, co0 + 1u, oy, ox, a1);
    store(n, co0 + 2u, oy, ox, a2);
    store(n, co0 + 3u, oy, ox, a3);
    store(n, co0 + 4u, oy, ox, a4);
    store(n, co0 + 5u, oy, ox, a5);
    store(n, co0 + 6u, oy, ox, a6);
    store(n, co0 + 7u, oy, ox, a7);
}
