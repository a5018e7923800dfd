// conv_winograd_weight.wgsl for both uses at once, and the input's transform: the first nw0
// workgroups write the forward's U (w' = w) to ut, the next nw1 the input gradient's (w'
// transposed and rotated 180 degrees) to uft, the rest V of channel groups q0.. of the
// packed input into vt (as
// conv_winograd_input.wgsl's wino_input_rows, whose code is repeated below: WGSL has no
// includes), so a convolution that will be differentiated transforms its weights and its
// input in one dispatch (conv2d_multi.rs). Texel layout, zero fill and G as
// conv_winograd_weight.wgsl.
struct Params {
    cout: u32, cin: u32, rows: u32, frows: u32,
    // V (conv_winograd_input.wgsl's fields): tiles along x and per item, V's channel groups,
    // the tiles, V's rows (tiles padded to the GEMM tile), the first group transformed.
    tw: u32, tpi: u32, c4: u32, tiles: u32,
    vrows: u32, q0: u32,
    // The workgroups of 8 x 8, numbered f = x + nx y (rows of nx): U's (wx0 along its rows,
    // nw0 in all), the flipped U's (wx1, nw1), then V's (vx along the channel groups, nv in
    // all). A 3-D grid covering the three jobs (z) launched mostly empty workgroups (12.8 ms
    // per RRDBNet dense conv, against ~6.7 numbered, measured).
    wx0: u32, nw0: u32, wx1: u32, nw1: u32,
    vx: u32, nv: u32, nx: u32,
    // Layers per batch item of the packed input (c4, or more in a dense block's shared
    // texture: conv2d_multi.rs FeatureStack).
    ls: u32,
    // The flipped U's channel group q is written to uft's texel column q % fsw of layers
    // 16 (fs0 + q / fsw) + xi (a dense block's convs, a segment of fsw groups after another,
    // in one texture, conv2d_multi.rs FeatureStack; else fs0 = 0 and fsw > every q).
    fs0: u32, fsw: u32,
    // U's and V's channel group q go to texel column q % sw of layers 16 (q / sw) + xi (a
    // dense block's shared V and the U read with it, a segment of sw groups after another;
    // else sw > every q).
    sw: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var ut: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(3) var uft: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(4) var xt: texture_2d_array<f32>;
@group(0) @binding(5) var vt: texture_storage_2d_array<rgba32float, write>;

// Row r of G applied to the 3 values a0..a2 (the 1-D weight transform).
fn gr(r: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>) -> vec4<f32> {
    switch r {
        case 0u: { return a0; }
        case 1u: { return 0.5 * (a0 + a1 + a2); }
        case 2u: { return 0.5 * (a0 - a1 + a2); }
        default: { return a2; }
    }
}

@compute @workgroup_size(8, 8, 1)
fn wino_weight2(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let f = wid.x + p.nx * wid.y;
    if (f >= p.nw0 + p.nw1 + p.nv) { return; }
    if (f < p.nw0) {
        weight(8u * (f % p.wx0) + lid.x, 8u * (f / p.wx0) + lid.y, false);
    } else if (f < p.nw0 + p.nw1) {
        let g = f - p.nw0;
        weight(8u * (g % p.wx1) + lid.x, 8u * (g / p.wx1) + lid.y, true);
    } else {
        let g = f - p.nw0 - p.nw1;
        input_rows(p.q0 + 8u * (g % p.vx) + lid.x, 8u * (g / p.vx) + lid.y);
    }
}

// Weight w'[o][i] at tap t of w' = w, or (flip) of w transposed and rotated; zero past the
// channels.
fn tap1(o: u32, i: u32, t: u32, flip: bool) -> f32 {
    if (flip) {
        if (o >= p.cin || i >= p.cout) { return 0.0; }
        return w[(i * p.cin + o) * 9u + 8u - t];
    }
    if (o >= p.cout || i >= p.cin) { return 0.0; }
    return w[(o * p.cin + i) * 9u + t];
}

// Tap t of output o and input channels 4q..4q+3.
fn taps(o: u32, q: u32, t: u32, flip: bool) -> vec4<f32> {
    let i = 4u * q;
    return vec4<f32>(tap1(o, i, t, flip), tap1(o, i + 1u, t, flip), tap1(o, i + 2u, t, flip),
                     tap1(o, i + 3u, t, flip));
}

// U of output o and input channel group q (w' = w), or with `flip` of w' transposed and
// rotated, into uft.
fn weight(o: u32, q: u32, flip: bool) {
    let ni = select(p.cin, p.cout, flip);
    if (o >= select(p.rows, p.frows, flip) || q >= (ni + 3u) / 4u) { return; }
    // gT = tap T = 3 ky + kx of the 4 input channels 4q..4q+3, written out: a private array
    // indexed in loops made the V transform sharing this kernel ~25% slower (measured).
    let g0 = taps(o, q, 0u, flip);
    let g1 = taps(o, q, 1u, flip);
    let g2 = taps(o, q, 2u, flip);
    let g3 = taps(o, q, 3u, flip);
    let g4 = taps(o, q, 4u, flip);
    let g5 = taps(o, q, 5u, flip);
    let g6 = taps(o, q, 6u, flip);
    let g7 = taps(o, q, 7u, flip);
    let g8 = taps(o, q, 8u, flip);
    for (var r = 0u; r < 4u; r++) {
        let e0 = gr(r, g0, g3, g6);
        let e1 = gr(r, g1, g4, g7);
        let e2 = gr(r, g2, g5, g8);
        for (var c = 0u; c < 4u; c++) {
            if (flip) {
                textureStore(uft, vec2<u32>(q % p.fsw, o), 16u * (p.fs0 + q / p.fsw) + 4u * r + c,
                             gr(c, e0, e1, e2));
            } else {
                textureStore(ut, vec2<u32>(q % p.sw, o), 16u * (q / p.sw) + 4u * r + c,
                             gr(c, e0, e1, e2));
            }
        }
    }
}

// (texel x, texel y, layer) of tile t's top-left input texel for channel group q.
fn origin(t: u32, q: u32) -> vec3<u32> {
    let n = t / p.tpi;
    let r = t % p.tpi;
    return vec3<u32>(2u * (r % p.tw), 2u * (r / p.tw), n * p.ls + q);
}

fn ld(o: vec3<u32>, dx: u32, dy: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(o.x + dx, o.y + dy), o.z, 0);
}

// B^T applied to the 4 values a0..a3 (the 1-D input transform), as the columns of a matrix.
fn bt(a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(a0 - a2, a1 + a2, a2 - a1, a1 - a3);
}

// Row r of the transform into texel (x, t) of layers l0 + 4 r ..
fn store_row(x: u32, t: u32, l0: u32, r: u32, v: mat4x4<f32>) {
    textureStore(vt, vec2<u32>(x, t), l0 + 4u * r, v[0]);
    textureStore(vt, vec2<u32>(x, t), l0 + 4u * r + 1u, v[1]);
    textureStore(vt, vec2<u32>(x, t), l0 + 4u * r + 2u, v[2]);
    textureStore(vt, vec2<u32>(x, t), l0 + 4u * r + 3u, v[3]);
}

// conv_winograd_input.wgsl's wino_input_rows for tile t and channel group q.
fn input_rows(q: u32, t: u32) {
    if (t >= p.vrows || q >= p.c4) { return; }
    let o = origin(min(t, p.tiles - 1u), q);
    let e0 = bt(ld(o, 0u, 0u), ld(o, 0u, 1u), ld(o, 0u, 2u), ld(o, 0u, 3u));
    let e1 = bt(ld(o, 1u, 0u), ld(o, 1u, 1u), ld(o, 1u, 2u), ld(o, 1u, 3u));
    let e2 = bt(ld(o, 2u, 0u), ld(o, 2u, 1u), ld(o, 2u, 2u), ld(o, 2u, 3u));
    let e3 = bt(ld(o, 3u, 0u), ld(o, 3u, 1u), ld(o, 3u, 2u), ld(o, 3u, 3u));
    let x = q % p.sw;
    let l0 = 16u * (q / p.sw);
    store_row(x, t, l0, 0u, bt(e0[0], e1[0], e2[0], e3[0]));
    store_row(x, t, l0, 1u, bt(e0[1], e1[1], e2[1], e3[1]));
    store_row(x, t, l0, 2u, bt(e0[2], e1[2], e2[2], e3[2]));
    store_row(x, t, l0, 3u, bt(e0[3], e1[3], e2[3], e3[3]));
}
