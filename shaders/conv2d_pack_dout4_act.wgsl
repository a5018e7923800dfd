// conv2d_pack_input4.wgsl for the output gradient of a convolution followed by a LeakyReLU
// and a scaling (conv2d_multi.rs's epilogue): dout, the gradient of y = s leaky_relu(conv),
// becomes g = s dout where y > 0 and s slope dout elsewhere (y > 0 exactly where the
// convolution's output is, for slope >= 0 and s > 0; without the activation slope = 1),
// packed as the texture the backward kernels read and written to the buffer g for the bias
// gradient: the epilogue's backward costs no pass of its own.
// The whole batch in one launch (no binding offset); the width is a multiple of 4.
// shuffle = 1: dout and y are the convolution's output pixel-shuffled by 2 ([N, c / 4, 2h,
// 2w], conv2d_forward_tex3.wgsl's `shuffle`): the texel of channels 4c' .. 4c' + 3 at row
// iy, columns 4gx .. 4gx + 3 gathers shuffled channel c' at rows 2iy, 2iy + 1 and columns
// 8gx .. 8gx + 7 (channel 4c' + 2i + j takes row 2iy + i, every other column from j); g is
// written in the convolution's layout. c % 4 == 0 then.
// store_g = 0: g is not written (its binding is then any buffer): the backward reads only the
// texture (Small's weight gradient sums db from it).
struct Params {
    c: u32, h: u32, w: u32, c4: u32,
    pad: u32, tw: u32, th: u32, gw: u32,
    slope: f32, scale: f32, shuffle: u32, store_g: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> g: array<vec4<f32>>;
@group(0) @binding(4) var t: texture_storage_2d_array<rgba32float, write>;

fn act(d: vec4<f32>, yv: vec4<f32>) -> vec4<f32> {
    return p.scale * select(p.slope * d, d, yv > vec4<f32>(0.0));
}

fn masked(i: u32) -> vec4<f32> {
    let v = act(dout[i], y[i]);
    if (p.store_g == 1u) { g[i] = v; }
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
    if (p.shuffle == 1u && gx >= 0 && 4 * gx < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
        // Shuffled rows 2iy (i = 0) and 2iy + 1 (i = 1), columns 8gx .. 8gx + 7 (2 texels).
        let w4 = p.w / 2u;
        let r0 = ((n * p.c4 + c0 / 4u) * 2u * p.h + 2u * u32(iy)) * w4 + 2u * u32(gx);
        let r1 = r0 + w4;
        let a0 = act(dout[r0], y[r0]);
        let a1 = act(dout[r0 + 1u], y[r0 + 1u]);
        let b0 = act(dout[r1], y[r1]);
        let b1 = act(dout[r1 + 1u], y[r1 + 1u]);
        v0 = vec4<f32>(a0.x, a0.z, a1.x, a1.z);
        v1 = vec4<f32>(a0.y, a0.w, a1.y, a1.w);
        v2 = vec4<f32>(b0.x, b0.z, b1.x, b1.z);
        v3 = vec4<f32>(b0.y, b0.w, b1.y, b1.w);
        if (p.store_g == 1u) {
            let hw4 = p.h * p.w / 4u;
            let base = (n * p.c + c0) * hw4 + (u32(iy) * p.w) / 4u + u32(gx);
            g[base] = v0;
            g[base + hw4] = v1;
            g[base + 2u * hw4] = v2;
            g[base + 3u * hw4] = v3;
        }
    } else if (gx >= 0 && 4 * gx < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
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
