// conv2d_pack_weight.wgsl for both uses at once: z = 0 writes the forward's texture t (w' = w),
// z = 1 the input gradient's tf (w' transposed and rotated 180 degrees), so a convolution that
// will be differentiated packs its weights in one dispatch (conv2d_multi.rs). Texel layout,
// zero fill and the two sizes as conv2d_pack_weight.wgsl.
struct Params {
    cout: u32, cin: u32, kk: u32, tw: u32,
    th: u32, ftw: u32, fth: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var t: texture_storage_2d<rgba32float, write>;
@group(0) @binding(3) var tf: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_weight2(@builtin(global_invocation_id) gid: vec3<u32>) {
    let flip = gid.z == 1u;
    let tw = select(p.tw, p.ftw, flip);
    let th = select(p.th, p.fth, flip);
    if (gid.x >= tw || gid.y >= th) { return; }
    let o = gid.x;
    let q = gid.y / p.kk;
    let tap = gid.y % p.kk;
    let no = select(p.cout, p.cin, flip);
    let ni = select(p.cin, p.cout, flip);
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
        let i = q * 4u + j;
        if (o < no && i < ni) {
            if (flip) {
                v[j] = w[(i * p.cin + o) * p.kk + (p.kk - 1u - tap)];
            } else {
                v[j] = w[(o * p.cin + i) * p.kk + tap];
            }
        }
    }
    if (flip) {
        textureStore(tf, vec2<u32>(gid.x, gid.y), v);
    } else {
        textureStore(t, vec2<u32>(gid.x, gid.y), v);
    }
}
