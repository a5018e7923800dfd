// conv2d_pack_input.wgsl for images whose width is a multiple of 4: each invocation reads 4
// channels x 4 consecutive pixels as four vec4 loads (on lavapipe each storage-buffer load is
// a per-lane loop, so 4 floats per load instead of 1 is what makes this ~4x cheaper) and
// writes 4 texels. Invocation gx covers image columns 4(gx - 1)..+3, i.e. texels
// 4 gx - 4 + pad..+3; gx = 0 and groups past the image write the zero border.
struct Params {
    c: u32, h: u32, w: u32, c4: u32,
    pad: u32, tw: u32, th: u32, off: u32,
    gw: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var t: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_input4(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.gw || gid.y >= p.th) { return; }
    let layer = gid.z;
    let n = layer / p.c4;
    let c0 = (layer % p.c4) * 4u;
    let g = i32(gid.x) - 1;
    let iy = i32(gid.y) - i32(p.pad);
    var v0 = vec4<f32>(0.0);
    var v1 = vec4<f32>(0.0);
    var v2 = vec4<f32>(0.0);
    var v3 = vec4<f32>(0.0);
    if (g >= 0 && 4 * g < i32(p.w) && iy >= 0 && iy < i32(p.h)) {
        let hw4 = p.h * p.w / 4u;
        let base = p.off / 4u + (n * p.c + c0) * hw4 + (u32(iy) * p.w) / 4u + u32(g);
        v0 = x[base];
        if (c0 + 1u < p.c) { v1 = x[base + hw4]; }
        if (c0 + 2u < p.c) { v2 = x[base + 2u * hw4]; }
        if (c0 + 3u < p.c) { v3 = x[base + 3u * hw4]; }
    }
    // Texel j holds channel i of pixel j in component i: the transpose of (v0, v1, v2, v3).
    let m = transpose(mat4x4<f32>(v0, v1, v2, v3));
    let tx0 = 4 * g + i32(p.pad);
    for (var j = 0; j < 4; j++) {
        let tx = tx0 + j;
        if (tx >= 0 && tx < i32(p.tw)) {
            textureStore(t, vec2<i32>(tx, i32(gid.y)), layer, m[j]);
        }
    }
}
