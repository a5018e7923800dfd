// Vectorised packs for matmul_tex (same texture layout as matmul_pack.wgsl: texel (t, r, layer)
// = P[r, 4t .. 4t+4], zero past `rows` and `k`), for views whose offsets and strides are
// multiples of 4 so that the source can be read as vec4 (one load instead of four):
// - `pack4_rows`: P[r, k] = src[base + r * sr + k] (k contiguous, k % 4 == 0): one vec4 per
//   texel.
// - `pack4_cols`: P[r, k] = src[base + r + k * sk] (r contiguous, rows % 4 == 0): an
//   invocation reads 4 vec4 (4 k values x 4 rows), transposes them and writes 4 texels.
// Strides and offsets arrive in vec4 units (divided by 4).
struct Params { rows: u32, k: u32, kt: u32, height: u32, layers: u32, l0: u32, lh: u32,
                off: u32, slo: u32, sli: u32, sr: u32, sk: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dst: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;

fn layer_base(layer: u32) -> u32 {
    let l = p.l0 + layer;
    return p.off + (l / p.lh) * p.slo + (l % p.lh) * p.sli;
}

@compute @workgroup_size(8, 8)
fn pack4_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let r = gid.y;
    let layer = gid.z;
    if (t >= p.kt || r >= p.height || layer >= p.layers) {
        return;
    }
    var v = vec4<f32>(0.0);
    if (r < p.rows) {
        v = src[layer_base(layer) + r * p.sr + t];
    }
    textureStore(dst, vec2<u32>(t, r), layer, v);
}

@compute @workgroup_size(8, 8)
fn pack4_cols(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x; // rows 4q .. 4q + 4
    let t = gid.y;
    let layer = gid.z;
    if (4u * q >= p.height || t >= p.kt || layer >= p.layers) {
        return;
    }
    var m = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    if (4u * q < p.rows) {
        let base = layer_base(layer) + q;
        for (var e = 0u; e < 4u; e++) {
            let k = 4u * t + e;
            if (k < p.k) {
                m[e] = src[base + k * p.sk];
            }
        }
    }
    // m[e][i] = P[4q + i, 4t + e]; row 4q + i's texel is column i of m.
    let tm = transpose(m);
    for (var i = 0u; i < 4u; i++) {
        textureStore(dst, vec2<u32>(t, 4u * q + i), layer, tm[i]);
    }
}

// `pack4_shift`: P[r, k] = src[base + r * sr + k] (k contiguous) at any alignment (attention's
// head slices of qkv): offsets and strides in elements here. An invocation packs 8 texels of
// one row from aligned vec4 loads, each texel assembled from two neighbouring vec4 (the row's
// start mod 4 selects the components): one load per texel instead of four. Lanes run along
// rows (grid: rows / 64, texel groups, layers).
@compute @workgroup_size(64)
fn pack4_shift(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    let g = gid.y;
    let layer = gid.z;
    if (8u * g >= p.kt || r >= p.height || layer >= p.layers) {
        return;
    }
    let t1 = min(8u * g + 8u, p.kt);
    if (r >= p.rows) {
        for (var t = 8u * g; t < t1; t++) {
            textureStore(dst, vec2<u32>(t, r), layer, vec4<f32>(0.0));
        }
        return;
    }
    let e0 = layer_base(layer) + r * p.sr + 32u * g;
    let s = e0 % 4u;
    var q = e0 / 4u;
    var lo = src[q];
    for (var t = 8u * g; t < t1; t++) {
        q += 1u;
        let hi = src[q];
        var v = lo;
        switch s {
            case 1u: { v = vec4<f32>(lo.yzw, hi.x); }
            case 2u: { v = vec4<f32>(lo.zw, hi.xy); }
            case 3u: { v = vec4<f32>(lo.w, hi.xyz); }
            default: {}
        }
        let k0 = 4u * t;
        if (k0 + 4u > p.k) {
            for (var e = 0u; e < 4u; e++) {
                if (k0 + e >= p.k) { v[e] = 0.0; }
            }
        }
        textureStore(dst, vec2<u32>(t, r), layer, v);
        lo = hi;
    }
}
