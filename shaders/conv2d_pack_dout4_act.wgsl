// conv2d_pack_input4.wgsl for the output gradient of a convolution followed by a LeakyReLU
// and a scaling (conv2d_multi.rs's epilogue): dout, the gradient of y = s leaky_relu(conv),
// becomes g = s dout where y > 0 and s slope dout elsewhere (y > 0 exactly where the
// convolution's output is, for slope >= 0 and s > 0; without the activation slope = 1),
// packed as the texture the backward kernels read and written to the buffer g for the bias
// gradient: the epilogue's backward costs no pass of its own.
// The whole batch in one launch (no binding offset); the width is a multiple of 4.
struct Params {
    c: u32, h: u32, w: u32, c4: u32,
    pad: u32, tw: u32, th: u32, gw: u32,
    slope: f32, scale: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> g: array<vec4<f32>>;
@group(0) @binding(4) var t: texture_storage_2d_array<rgba32float, write>;

fn masked(i: u32) -> vec4<f32> {
    let d = dout[i];
    let v = p.scale * select(p.slope * d, d, y[i] > vec4<f32>(0.0));
    g[i] = v;
    return v;
}

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_dout4_act(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.gw || gid.y >= p.th) { return; }
    let layer = gid.z;
    let n = layer / p.c4;
    let c0 = (layer % p.c4) * 4u;
    let gx = i32(gid.x) - 1;
    let iy = i32(gid.y) - i32(p.pad);
    var v0 = vec4<f32>(0.0);
    var v1 = vec4<f32>(0.0);
    var v2 = vec4<f32>(0.0);
    var v3 = vec4<f32>(0.0);
    if (gx >= 0 && 4 * gx < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
        let hw4 = p.h * p.w / 4u;
        let base = (n * p.c + c0) * hw4 + (u32(iy) * p.w) / 4u + u32(gx);
        v0 = masked(base);
        if (c0 + 1u < p.c) { v1 = masked(base + hw4); }
        if (c0 + 2u < p.c) { v2 = masked(base + 2u * hw4); }
        if (c0 + 3u < p.c) { v3 = masked(base + 3u * hw4); }
    }
    let m = transpose(mat4x4<f32>(v0, v1, v2, v3));
    let tx0 = 4 * gx + i32(p.pad);
    for (var j = 0; j < 4; j++) {
        let tx = tx0 + j;
        if (tx >= 0 && tx < i32(p.tw)) {
            textureStore(t, vec2<i32>(tx, i32(gid.y)), layer, m[j]);
        }
    }
}
