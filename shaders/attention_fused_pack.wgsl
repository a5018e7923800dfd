// Packs per-head row slices of a row-major buffer [rows, stride] (qkv with 3 parts of
// heads * hd, or out / dout with 1) into an rgba32float texture array for the fused attention
// kernels: texel (x0 + slice * DT + t, row % rpl, row / rpl), slice = part * heads + head,
// holds elements 4t .. 4t+3 of that slice, zero past hd. rpl (rows per layer) is a multiple
// of the window's token count, so a window's rows share one layer.
// An invocation packs the DT texels of one (row, slice) from aligned vec4 loads, each texel
// assembled from two neighbouring vec4 (the slice's start mod 4 selects the components, the
// same for every lane), one load per texel; lanes run along rows. src's length is a
// multiple of 4 (n % 4 == 0). The grid is (row in layer, slice, layer) and DT a constant:
// lavapipe computes integer division by a runtime value lane by lane in scalar code.
override DT: u32 = 8u;
struct Params { rows: u32, rpl: u32, hd: u32, slices: u32, stride: u32, x0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dst: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;

@compute @workgroup_size(64)
fn attention_fused_pack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let y = gid.x;
    let slice = gid.y;
    let r = gid.z * p.rpl + y;
    if (y >= p.rpl || r >= p.rows || slice >= p.slices) {
        return;
    }
    let e0 = r * p.stride + slice * p.hd;
    let s = e0 % 4u;
    var q = e0 / 4u;
    let last = arrayLength(&src) - 1u;
    var lo = src[q];
    for (var t = 0u; t < DT; t++) {
        q += 1u;
        let hi = src[min(q, last)];
        var v = select(lo, vec4<f32>(lo.yzw, hi.x), s == 1u);
        v = select(v, vec4<f32>(lo.zw, hi.xy), s == 2u);
        v = select(v, vec4<f32>(lo.w, hi.xyz), s == 3u);
        let k = vec4<u32>(4u * t) + vec4<u32>(0u, 1u, 2u, 3u);
        v = select(vec4<f32>(0.0), v, k < vec4<u32>(p.hd));
        textureStore(dst, vec2<u32>(p.x0 + slice * DT + t, y), gid.z, v);
        lo = hi;
    }
}
