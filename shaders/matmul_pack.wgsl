// Packs the operand P [rows, k] of one product (per batch layer) into an rgba32float texture
// array for matmul_tex: texel (t, r, layer) = P[r, 4t .. 4t+4], zero past `rows` and `k` (the
// texture is padded to whole tiles). P is a strided view of the source, so transposes and
// head slices of attention's qkv need no copy: for global layer l = l0 + layer,
// P[r, k] = src[off + (l / lh) * slo + (l % lh) * sli + r * sr + k * sk].
struct Params { rows: u32, k: u32, kt: u32, height: u32, layers: u32, l0: u32, lh: u32,
                off: u32, slo: u32, sli: u32, sr: u32, sk: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dst: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(8, 8)
fn matmul_pack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let r = gid.y;
    let layer = gid.z;
    if (t >= p.kt || r >= p.height || layer >= p.layers) {
        return;
    }
    let l = p.l0 + layer;
    let base = p.off + (l / p.lh) * p.slo + (l % p.lh) * p.sli;
    var v = vec4<f32>(0.0);
    if (r < p.rows) {
        for (var e = 0u; e < 4u; e++) {
            let k = t * 4u + e;
            if (k < p.k) {
                v[e] = src[base + r * p.sr + k * p.sk];
            }
        }
    }
    textureStore(dst, vec2<u32>(t, r), layer, v);
}
