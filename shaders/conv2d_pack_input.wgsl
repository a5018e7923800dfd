// NCHW buffer -> zero-padded NHWC rgba32float texture array, 4 channels per texel.
// Texel (tx, ty) of layer n * c4 + q holds channels 4q..4q+3 of pixel (ty - pad, tx - pad) of
// batch item n (zero outside the image and past the last channel). The texture is wider and
// taller than the padded image (tile multiples), so kernels reading it need no bounds checks.
struct Params {
    c: u32, h: u32, w: u32, c4: u32,
    pad: u32, tw: u32, th: u32, off: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var t: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tw || gid.y >= p.th) { return; }
    let layer = gid.z;
    let n = layer / p.c4;
    let c0 = (layer % p.c4) * 4u;
    let ix = i32(gid.x) - i32(p.pad);
    let iy = i32(gid.y) - i32(p.pad);
    var v = vec4<f32>(0.0);
    if (ix >= 0 && ix < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
        let hw = p.h * p.w;
        let base = p.off + (n * p.c + c0) * hw + u32(iy) * p.w + u32(ix);
        for (var i = 0u; i < 4u; i++) {
            if (c0 + i < p.c) { v[i] = x[base + i * hw]; }
        }
    }
    textureStore(t, vec2<u32>(gid.x, gid.y), layer, v);
}
