// The transforms a dense block's conv needs for its gradients on Winograd F(2x2, 3x3)
// (src/ops/conv_winograd.rs; conv2d_multi.rs FeatureStack), in one dispatch of numbered
// workgroups of 8 x 8: the first nv write V = B^T d B of the packed output gradient dt into
// segments vs0.. of dv (the input gradient's A operand, as conv_winograd_input.wgsl's
// wino_input_rows with a segment); the next nm write dM = A dY A^T of dt's 2x2 tiles into
// dm (the weight gradient's B^T operand, as wino_dout_cols); the last nx write V of the
// block's packed features xt into xc (the weight gradient's A operand, as wino_input_cols;
// only at the block's first backward, its convs then share it). The code is that of
// conv_winograd_input.wgsl, repeated for each texture (WGSL has no includes, and a file's
// entries bind the same textures).
struct Params {
    tw: u32, tpi: u32, tiles: u32, groups: u32,
    // dt: channel groups (and layers per item); dv: rows (tiles padded to the GEMM tile), the
    // first segment and the texel columns per segment.
    c4: u32, vrows: u32, vs0: u32, vsw: u32,
    // xt: channels, channel groups, layers per item.
    xch: u32, x4: u32, xls: u32, dch: u32,
    // Workgroups: V's (vx along dt's groups), dM's (mx = groups / 64 along the tiles, then
    // dt's groups, then the 4 rows of the transform), xt's (along the tiles, xt's groups,
    // rows), in rows of nx.
    vx: u32, nv: u32, nm: u32, nx: u32,
    mx: u32, rowx: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dt: texture_2d_array<f32>;
@group(0) @binding(2) var dv: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(3) var dm: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(4) var xt: texture_2d_array<f32>;
@group(0) @binding(5) var xc: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn wino_grad_transforms(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let f = wid.x + p.rowx * wid.y;
    if (f < p.nv) {
        dout_rows(8u * (f % p.vx) + lid.x, 8u * (f / p.vx) + lid.y);
        return;
    }
    let i = lid.x + 8u * lid.y;
    if (f < p.nv + p.nm) {
        let h = f - p.nv;
        let g = 64u * (h % p.mx) + i;
        let rest = h / p.mx;
        dout_cols(g, rest % p.c4, rest / p.c4);
        return;
    }
    let h = f - p.nv - p.nm;
    if (h < p.nx) {
        let g = 64u * (h % p.mx) + i;
        let rest = h / p.mx;
        input_cols(g, rest % p.x4, rest / p.x4);
    }
}

// (texel x, texel y, layer) of tile t's top-left input texel for channel group q (`ls`
// layers per item).
fn origin(t: u32, q: u32, ls: u32) -> vec3<u32> {
    let n = t / p.tpi;
    let r = t % p.tpi;
    return vec3<u32>(2u * (r % p.tw), 2u * (r / p.tw), n * ls + q);
}

fn ld_d(o: vec3<u32>, dx: u32, dy: u32) -> vec4<f32> {
    return textureLoad(dt, vec2<u32>(o.x + dx, o.y + dy), o.z, 0);
}

fn ld_x(o: vec3<u32>, dx: u32, dy: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(o.x + dx, o.y + dy), o.z, 0);
}

// B^T applied to the 4 values a0..a3 (the 1-D input transform), as the columns of a matrix.
fn bt(a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(a0 - a2, a1 + a2, a2 - a1, a1 - a3);
}

fn store_row(x: u32, t: u32, l0: u32, r: u32, v: mat4x4<f32>) {
    textureStore(dv, vec2<u32>(x, t), l0 + 4u * r, v[0]);
    textureStore(dv, vec2<u32>(x, t), l0 + 4u * r + 1u, v[1]);
    textureStore(dv, vec2<u32>(x, t), l0 + 4u * r + 2u, v[2]);
    textureStore(dv, vec2<u32>(x, t), l0 + 4u * r + 3u, v[3]);
}

// wino_input_rows of dt for channel group q and tile t (rows past the last tile repeat it).
fn dout_rows(q: u32, t: u32) {
    if (t >= p.vrows || q >= p.c4) { return; }
    let o = origin(min(t, p.tiles - 1u), q, p.c4);
    let e0 = bt(ld_d(o, 0u, 0u), ld_d(o, 0u, 1u), ld_d(o, 0u, 2u), ld_d(o, 0u, 3u));
    let e1 = bt(ld_d(o, 1u, 0u), ld_d(o, 1u, 1u), ld_d(o, 1u, 2u), ld_d(o, 1u, 3u));
    let e2 = bt(ld_d(o, 2u, 0u), ld_d(o, 2u, 1u), ld_d(o, 2u, 2u), ld_d(o, 2u, 3u));
    let e3 = bt(ld_d(o, 3u, 0u), ld_d(o, 3u, 1u), ld_d(o, 3u, 2u), ld_d(o, 3u, 3u));
    let x = q % p.vsw;
    let l0 = 16u * (p.vs0 + q / p.vsw);
    store_row(x, t, l0, 0u, bt(e0[0], e1[0], e2[0], e3[0]));
    store_row(x, t, l0, 1u, bt(e0[1], e1[1], e2[1], e3[1]));
    store_row(x, t, l0, 2u, bt(e0[2], e1[2], e2[2], e3[2]));
    store_row(x, t, l0, 3u, bt(e0[3], e1[3], e2[3], e3[3]));
}

// A (the transpose of the 1-D output transform) applied to the 2 values g0, g1.
fn a2(g0: vec4<f32>, g1: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(g0, g0 + g1, g0 - g1, -g1);
}

// Row r of dM = A dY A^T of dt's tile t (channel group q), zero past the last tile; the
// output pixel (y, x) sits at texel (x + 1, y + 1).
fn dout_row(t: u32, q: u32, r: u32) -> mat4x4<f32> {
    if (t >= p.tiles) { return mat4x4<f32>(); }
    let o = origin(t, q, p.c4) + vec3<u32>(1u, 1u, 0u);
    let ca = select(1.0, 0.0, r == 3u);
    let cb = select(-1.0, select(0.0, 1.0, r == 1u), r < 2u);
    let z0 = ca * ld_d(o, 0u, 0u) + cb * ld_d(o, 0u, 1u);
    let z1 = ca * ld_d(o, 1u, 0u) + cb * ld_d(o, 1u, 1u);
    return a2(z0, z1);
}

// Texel (g, 4q + i) of layer 4r + j of dm = component i of tiles 4g..4g+3's values (r, j).
fn dout_cols(g: u32, q: u32, r: u32) {
    if (g >= p.groups || q >= p.c4) { return; }
    let t = 4u * g;
    let a = dout_row(t, q, r);
    let b = dout_row(t + 1u, q, r);
    let c = dout_row(t + 2u, q, r);
    let d = dout_row(t + 3u, q, r);
    let m0 = transpose(mat4x4<f32>(a[0], b[0], c[0], d[0]));
    let m1 = transpose(mat4x4<f32>(a[1], b[1], c[1], d[1]));
    let m2 = transpose(mat4x4<f32>(a[2], b[2], c[2], d[2]));
    let m3 = transpose(mat4x4<f32>(a[3], b[3], c[3], d[3]));
    for (var i = 0u; i < 4u; i++) {
        let ch = 4u * q + i;
        if (ch < p.dch) {
            textureStore(dm, vec2<u32>(g, ch), 4u * r, m0[i]);
            textureStore(dm, vec2<u32>(g, ch), 4u * r + 1u, m1[i]);
            textureStore(dm, vec2<u32>(g, ch), 4u * r + 2u, m2[i]);
            textureStore(dm, vec2<u32>(g, ch), 4u * r + 3u, m3[i]);
        }
    }
}

// Row r of the 4x4 transform V of xt's tile t (channel group q), zero past the last tile.
// Row r of B^T is d[ia] + s d[ib]: r = 0: d0 - d2, 1: d1 + d2, 2: d2 - d1, 3: d1 - d3.
fn input_row(t: u32, q: u32, r: u32) -> mat4x4<f32> {
    if (t >= p.tiles) { return mat4x4<f32>(); }
    let o = origin(t, q, p.xls);
    let ia = (0x1210u >> (4u * r)) & 0xfu;
    let ib = (0x3122u >> (4u * r)) & 0xfu;
    let s = select(-1.0, 1.0, r == 1u);
    return bt(ld_x(o, 0u, ia) + s * ld_x(o, 0u, ib), ld_x(o, 1u, ia) + s * ld_x(o, 1u, ib),
              ld_x(o, 2u, ia) + s * ld_x(o, 2u, ib), ld_x(o, 3u, ia) + s * ld_x(o, 3u, ib));
}

// As dout_cols, of xt into xc.
fn input_cols(g: u32, q: u32, r: u32) {
    if (g >= p.groups || q >= p.x4) { return; }
    let t = 4u * g;
    let a = input_row(t, q, r);
    let b = input_row(t + 1u, q, r);
    let c = input_row(t + 2u, q, r);
    let d = input_row(t + 3u, q, r);
    let m0 = transpose(mat4x4<f32>(a[0], b[0], c[0], d[0]));
    let m1 = transpose(mat4x4<f32>(a[1], b[1], c[1], d[1]));
    let m2 = transpose(mat4x4<f32>(a[2], b[2], c[2], d[2]));
    let m3 = transpose(mat4x4<f32>(a[3], b[3], c[3], d[3]));
    for (var i = 0u; i < 4u; i++) {
        let ch = 4u * q + i;
        if (ch < p.xch) {
            textureStore(xc, vec2<u32>(g, ch), 4u * r, m0[i]);
            textureStore(xc, vec2<u32>(g, ch), 4u * r + 1u, m1[i]);
            textureStore(xc, vec2<u32>(g, ch), 4u * r + 2u, m2[i]);
            textureStore(xc, vec2<u32>(g, ch), 4u * r + 3u, m3[i]);
        }
    }
}
