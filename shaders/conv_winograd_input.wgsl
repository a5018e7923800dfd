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
// One invocation of the *_cols entries computes one row r of the 4x4 transform of 4 tiles x
// 4 channels, then writes it transposed (one texel per channel and column).
struct Params {
    tw: u32, tpi: u32, c4: u32, tiles: u32,
    rows: u32, groups: u32, channels: u32, pad: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_2d_array<f32>;
@group(0) @binding(2) var vt: texture_storage_2d_array<rgba32float, write>;

// (texel x, texel y, layer) of tile t's top-left input texel for channel group q.
fn origin(t: u32, q: u32) -> vec3<u32> {
    let n = t / p.tpi;
    let r = t % p.tpi;
    return vec3<u32>(2u * (r % p.tw), 2u * (r / p.tw), n * p.c4 + q);
}

fn ld(o: vec3<u32>, dx: u32, dy: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(o.x + dx, o.y + dy), o.z, 0);
}

// Row r of B^T applied to the 4 values a0..a3 (the 1-D input transform).
fn bt(r: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) -> vec4<f32> {
    switch r {
        case 0u: { return a0 - a2; }
        case 1u: { return a1 + a2; }
        case 2u: { return a2 - a1; }
        default: { return a1 - a3; }
    }
}

@compute @workgroup_size(64, 1, 1)
fn wino_input_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let q = gid.y;
    if (t >= p.rows || q >= p.c4) { return; }
    var v: array<vec4<f32>, 16>;
    if (t < p.tiles) {
        let o = origin(t, q);
        for (var r = 0u; r < 4u; r++) {
            // Row r of B^T d: one combination of two input rows, per column.
            var e: array<vec4<f32>, 4>;
            for (var j = 0u; j < 4u; j++) {
                e[j] = bt(r, ld(o, j, 0u), ld(o, j, 1u), ld(o, j, 2u), ld(o, j, 3u));
            }
            for (var c = 0u; c < 4u; c++) {
                v[4u * r + c] = bt(c, e[0], e[1], e[2], e[3]);
            }
        }
    }
    for (var xi = 0u; xi < 16u; xi++) {
        textureStore(vt, vec2<u32>(q, t), xi, v[xi]);
    }
}

// Row r of the 4x4 transform of tile t (channels of group q) for the *_cols entries.
fn input_row(t: u32, q: u32, r: u32) -> array<vec4<f32>, 4> {
    var out: array<vec4<f32>, 4>;
    if (t >= p.tiles) { return out; }
    let o = origin(t, q);
    var e: array<vec4<f32>, 4>;
    for (var j = 0u; j < 4u; j++) {
        e[j] = bt(r, ld(o, j, 0u), ld(o, j, 1u), ld(o, j, 2u), ld(o, j, 3u));
    }
    for (var c = 0u; c < 4u; c++) {
        out[c] = bt(c, e[0], e[1], e[2], e[3]);
    }
    return out;
}

// Row r of A (the transpose of the 1-D output transform) applied to the 2 values g0, g1.
fn at(r: u32, g0: vec4<f32>, g1: vec4<f32>) -> vec4<f32> {
    switch r {
        case 0u: { return g0; }
        case 1u: { return g0 + g1; }
        case 2u: { return g0 - g1; }
        default: { return -g1; }
    }
}

fn dout_row(t: u32, q: u32, r: u32) -> array<vec4<f32>, 4> {
    var out: array<vec4<f32>, 4>;
    if (t >= p.tiles) { return out; }
    // The output pixel (y, x) sits at texel (x + pad, y + pad).
    let o = origin(t, q) + vec3<u32>(p.pad, p.pad, 0u);
    let z0 = at(r, ld(o, 0u, 0u), ld(o, 0u, 1u));
    let z1 = at(r, ld(o, 1u, 0u), ld(o, 1u, 1u));
    for (var c = 0u; c < 4u; c++) {
        out[c] = at(c, z0, z1);
    }
    return out;
}

// Texel (g, 4q + i) of layer 4r + c = component i of tiles 4g..4g+3's values (r, c).
fn store_cols(g: u32, q: u32, r: u32, a: array<vec4<f32>, 4>, b: array<vec4<f32>, 4>,
              c: array<vec4<f32>, 4>, d: array<vec4<f32>, 4>) {
    for (var j = 0u; j < 4u; j++) {
        let m = transpose(mat4x4<f32>(a[j], b[j], c[j], d[j]));
        for (var i = 0u; i < 4u; i++) {
            let ch = 4u * q + i;
            if (ch < p.channels) {
                textureStore(vt, vec2<u32>(g, ch), 4u * r + j, m[i]);
            }
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
