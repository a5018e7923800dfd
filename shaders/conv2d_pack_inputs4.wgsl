// conv2d_pack_input4.wgsl for a convolution whose input is the channel concatenation of up to
// five NCHW tensors x0..x4 (RRDBNet's dense blocks): the texture gets the channels of x0, then
// those of x1, ..., so no concatenated copy is ever written. Every part has a multiple of 4
// channels, so each texel's 4 channels come from one part; the width is a multiple of 4.
// Unused part bindings repeat x0 and are never read. Texel layout as conv2d_pack_input.wgsl.
struct Params {
    c: u32, h: u32, w: u32, c4: u32,
    pad: u32, tw: u32, th: u32, gw: u32,
    // Channel groups q0..c4 are packed (layers n * ls + q): a dense block's features go once
    // each into one texture of ls layers per item (conv2d_multi.rs FeatureStack); q0 = 0 and
    // ls = c4 pack them all.
    q0: u32, ls: u32,
    // First channel of part j at start[j / 4][j % 4]; start[k] = c for k parts.
    start: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var t: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> x0: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x1: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> x2: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> x3: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> x4: array<vec4<f32>>;

fn start(j: u32) -> u32 {
    return p.start[j / 4u][j % 4u];
}

fn load(j: u32, i: u32) -> vec4<f32> {
    switch j {
        case 0u: { return x0[i]; }
        case 1u: { return x1[i]; }
        case 2u: { return x2[i]; }
        case 3u: { return x3[i]; }
        default: { return x4[i]; }
    }
}

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_inputs4(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.gw || gid.y >= p.th) { return; }
    let nq = p.c4 - p.q0;
    let n = gid.z / nq;
    let q = p.q0 + gid.z % nq;
    let layer = n * p.ls + q;
    let c0 = 4u * q;
    var j = 0u;
    for (var q = 1u; q < 5u; q++) {
        if (c0 >= start(q)) { j = q; }
    }
    let cj = start(j + 1u) - start(j);
    let g = i32(gid.x) - 1;
    let iy = i32(gid.y) - i32(p.pad);
    var v0 = vec4<f32>(0.0);
    var v1 = vec4<f32>(0.0);
    var v2 = vec4<f32>(0.0);
    var v3 = vec4<f32>(0.0);
    if (g >= 0 && 4 * g < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
        let hw4 = p.h * p.w / 4u;
        let base = (n * cj + c0 - start(j)) * hw4 + (u32(iy) * p.w) / 4u + u32(g);
        v0 = load(j, base);
        v1 = load(j, base + hw4);
        v2 = load(j, base + 2u * hw4);
        v3 = load(j, base + 3u * hw4);
    }
    let m = transpose(mat4x4<f32>(v0, v1, v2, v3));
    let tx0 = 4 * g + i32(p.pad);
    for (var i = 0; i < 4; i++) {
        let tx = tx0 + i;
        if (tx >= 0 && tx < i32(p.tw)) {
            textureStore(t, vec2<i32>(tx, i32(gid.y)), layer, m[i]);
        }
    }
}
