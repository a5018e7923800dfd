// Packs per-head row slices of a row-major buffer [rows, parts * heads * hd] (qkv with 3 parts,
// or out / dout with 1) into an rgba32float texture array for the fused attention kernels:
// texel (x0 + (part * heads + head) * dt + t, row % rpl, row / rpl) holds elements
// 4t .. 4t+3 of that head's slice, zero past hd. rpl (rows per layer) is a multiple of the
// window's token count, so a window's rows share one layer.
struct Params { rows: u32, rpl: u32, heads: u32, hd: u32, dt: u32, texels: u32, stride: u32,
                x0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dst: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(8, 8)
fn attention_fused_pack(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let x = gid.x;
    let r = gid.y + gid.z * nwg.y * 8u;
    if (x >= p.texels || r >= p.rows) {
        return;
    }
    let slice = x / p.dt;
    let t = x % p.dt;
    let base = r * p.stride + slice * p.hd;
    var v = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) {
        let d = t * 4u + e;
        if (d < p.hd) {
            v[e] = src[base + d];
        }
    }
    textureStore(dst, vec2<u32>(p.x0 + x, r % p.rpl), r / p.rpl, v);
}
