// Winograd F(2x2, 3x3) data transforms (see src/ops/conv_winograd.rs for the derivation), read
// from a zero-padded NHWC texture (conv2d_pack_input*.wgsl: texel (x + 1, y + 1, layer
// n * c4 + q) = channels 4q..4q+3 of pixel (y, x)). Tile t = (n * th + ty) * tw + tx covers
// output pixels (2ty.., 2tx..) and input pixels (2ty - 1.., 2tx - 1..) = texels (2ty.., 2tx..).
// Layer xi = 4 r + c of the output holds element (r, c) of the 4x4 transform.
// - wino_input_rows: V = B^T d B as the GEMM's A operand: texel (q, t) = channels 4q..4q+3.
// - wino_input_cols: the same V as the weight gradient's A^T operand: texel (t / 4, channel)
//   holds tiles 4g..4g+3 (zero past the last tile, so the k padding adds exact zeros).
// - wino_dout_cols: dM = A dY A^T of the output gradient's 2x2 tiles, laid out as
//   wino_input_cols (pixels past the image are zero texels: their gradient is zero).
// The *_cols entries compute one row r of the 4x4 transform of 4 tiles x 4 channels per
// invocation (reading only the input rows that row needs), then write it transposed (one
// texel per channel and column). Everything is written out without arrays or switches on
// lane-varying values: lavapipe spilled those to memory (2.5-4x slower, measured).
struct Params {
    tw: u32, tpi: u32, c4: u32, tiles: u32,
    rows: u32, groups: u32, channels: u32, pad: u32,
    // wino_input_rows: the first channel group transformed (groups q0..c4 are written; a
    // dense block's shared V texture gets each feature's channels once, conv2d_multi.rs).
    q0: u32,
    // Layers per batch item of the packed input (c4, or more in a dense block's shared
    // texture: conv2d_multi.rs FeatureStack).
    ls: u32,
    // wino_input_rows: group q is written to texel column q % vsw of layers 16 (vs0 + q / vsw)
    // + xi (a dense block's transformed output gradients, a segment of vsw groups after
    // another, conv2d_multi.rs FeatureStack; else vs0 = 0 and vsw > every q).
    vs0: u32, vsw: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_2d_array<f32>;
@group(0) @binding(2) var vt: texture_storage_2d_array<rgba32float, write>;

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

// Lanes run along q: a subgroup's 16 stores each fill whole cache lines of V (lanes along t
// write 16 bytes per line per store). In one profile this pass went from 0.85x to 0.7x of the
// GEMM's time; the machine was shared, so that is about the size of the noise.
@compute @workgroup_size(8, 8, 1)
fn wino_input_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x + p.q0;
    let t = gid.y;
    if (t >= p.rows || q >= p.c4) { return; }
    let o = origin(min(t, p.tiles - 1u), q);
    // Column transforms e_j[r] = (B^T d)[r][j] of the 4 input columns.
    let e0 = bt(ld(o, 0u, 0u), ld(o, 0u, 1u), ld(o, 0u, 2u), ld(o, 0u, 3u));
    let e1 = bt(ld(o, 1u, 0u), ld(o, 1u, 1u), ld(o, 1u, 2u), ld(o, 1u, 3u));
    let e2 = bt(ld(o, 2u, 0u), ld(o, 2u, 1u), ld(o, 2u, 2u), ld(o, 2u, 3u));
    let e3 = bt(ld(o, 3u, 0u), ld(o, 3u, 1u), ld(o, 3u, 2u), ld(o, 3u, 3u));
    // Rows past the last tile are GEMM padding: any finite values serve (their products are
    // never stored), so they repeat the last tile.
    let x = q % p.vsw;
    let l0 = 16u * (p.vs0 + q / p.vsw);
    store_row(x, t, l0, 0u, bt(e0[0], e1[0], e2[0], e3[0]));
    store_row(x, t, l0, 1u, bt(e0[1], e1[1], e2[1], e3[1]));
    store_row(x, t, l0, 2u, bt(e0[2], e1[2], e2[2], e3[2]));
    store_row(x, t, l0, 3u, bt(e0[3], e1[3], e2[3], e3[3]));
}

// Row r of the 4x4 transform of tile t (channels of group q), zero past the last tile.
// Row r of B^T is d[ia] + s d[ib]: r = 0: d0 - d2, 1: d1 + d2, 2: d2 - d1, 3: d1 - d3.
fn input_row(t: u32, q: u32, r: u32) -> mat4x4<f32> {
    if (t >= p.tiles) { return mat4x4<f32>(); }
    let o = origin(t, q);
    let ia = (0x1210u >> (4u * r)) & 0xfu;
    let ib = (0x3122u >> (4u * r)) & 0xfu;
    let s = select(-1.0, 1.0, r == 1u);
    return bt(ld(o, 0u, ia) + s * ld(o, 0u, ib), ld(o, 1u, ia) + s * ld(o, 1u, ib),
              ld(o, 2u, ia) + s * ld(o, 2u, ib), ld(o, 3u, ia) + s * ld(o, 3u, ib));
}

// A (the transpose of the 1-D output transform) applied to the 2 values g0, g1.
fn a2(g0: vec4<f32>, g1: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(g0, g0 + g1, g0 - g1, -g1);
}

// Row r of dM = A dY A^T: Z = A dY's row r is ca dY0 + cb dY1 per column.
fn dout_row(t: u32, q: u32, r: u32) -> mat4x4<f32> {
    if (t >= p.tiles) { return mat4x4<f32>(); }
    // The output pixel (y, x) sits at texel (x + pad, y + pad).
    let o = origin(t, q) + vec3<u32>(p.pad, p.pad, 0u);
    let ca = select(1.0, 0.0, r == 3u);
    let cb = select(-1.0, select(0.0, 1.0, r == 1u), r < 2u);
    let z0 = ca * ld(o, 0u, 0u) + cb * ld(o, 0u, 1u);
    let z1 = ca * ld(o, 1u, 0u) + cb * ld(o, 1u, 1u);
    return a2(z0, z1);
}

// Texel (g, 4q + i) of layer 4r + j = component i of tiles 4g..4g+3's values (r, j).
fn store_cols(g: u32, q: u32, r: u32, a: mat4x4<f32>, b: mat4x4<f32>, c: mat4x4<f32>,
              d: mat4x4<f32>) {
    let m0 = transpose(mat4x4<f32>(a[0], b[0], c[0], d[0]));
    let m1 = transpose(mat4x4<f32>(a[1], b[1], c[1], d[1]));
    let m2 = transpose(mat4x4<f32>(a[2], b[2], c[2], d[2]));
    let m3 = transpose(mat4x4<f32>(a[3], b[3], c[3], d[3]));
    for (var i = 0u; i < 4u; i++) {
        let ch = 4u * q + i;
        if (ch < p.channels) {
            textureStore(vt, vec2<u32>(g, ch), 4u * r, m0[i]);
            textureStore(vt, vec2<u32>(g, ch), 4u * r + 1u, m1[i]);
            textureStore(vt, vec2<u32>(g, ch), 4u * r + 2u, m2[i]);
            textureStore(vt, vec2<u32>(g, ch), 4u * r + 3u, m3[i]);
        }
    }
}

@compute @workgroup_size(64, 1, 1)
fn wino_input_cols(@builtin(global_invocation_id) gid: vec3<u32>) {
    let g = gid.x;
    let q = gid.y;
    let r = gid.z;
    if (g >= p.groups || q >= p.c4) { return; }
    let t = 4u * g;
    store_cols(g, q, r, input_row(t, q, r), input_row(t + 1u, q, r), input_row(t + 2u, q, r),
               input_row(t + 3u, q, r));
}

@compute @workgroup_size(64, 1, 1)
fn wino_dout_cols(@builtin(global_invocation_id) gid: vec3<u32>) {
    let g = gid.x;
    let q = gid.y;
    let r = gid.z;
    if (g >= p.groups || q >= p.c4) { return; }
    let t = 4u * g;
    store_cols(g, q, r, dout_row(t, q, r), dout_row(t + 1u, q, r), dout_row(t + 2u, q, r),
               dout_row(t + 3u, q, r));
}
