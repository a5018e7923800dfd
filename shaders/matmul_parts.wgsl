// The sum of a product's k parts (matmul_tex.wgsl with LINEAR bit 32): C(m, n) =
// alpha (part 0 + part 1 + ... in part order) (+ bias[boff + n]) for m < m, n < n, and, with
// `row_sums`, the spare column n's sum (A's rows summed over k) to bias[boff + m] instead.
// parts holds [parts, padded m, padded n] raw sums as vec4 along n (n4 texels per row,
// pstride4 per part). One invocation per (texel q of a row, row m); each output gets the same
// additions in the same order on every run.
struct Params { m: u32, n: u32, nq: u32, n4: u32, parts: u32, pstride4: u32, off: u32, cm: u32,
                alpha: f32, has_bias: u32, boff: u32, row_sums: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> parts: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;

fn put(m: u32, nn: u32, s: f32) {
    if (nn < p.n) {
        var b = 0.0;
        if (p.has_bias != 0u) { b = bias[p.boff + nn]; }
        c[p.off + m * p.cm + nn] = fma(s, p.alpha, b);
    } else if (nn == p.n && p.row_sums != 0u) {
        bias[p.boff + m] = s;
    }
}

@compute @workgroup_size(8, 8)
fn matmul_sum_parts(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x;
    let m = gid.y;
    if (q >= p.nq || m >= p.m) { return; }
    var at = m * p.n4 + q;
    var s = parts[at];
    for (var z = 1u; z < p.parts; z++) {
        at += p.pstride4;
        s += parts[at];
    }
    put(m, 4u * q, s.x);
    put(m, 4u * q + 1u, s.y);
    put(m, 4u * q + 2u, s.z);
    put(m, 4u * q + 3u, s.w);
}
