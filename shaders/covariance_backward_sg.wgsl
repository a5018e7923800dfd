// covariance_backward.wgsl with the matrix shared through the subgroup, for len % 4 == 0 and
// subgroups of at least 8 lanes:
//   out[n, i, q] = sum_k M(n, i, k) (X[n, k, q] - (center ? mu[n, k] : 0)),
//   M(n, i, k) = m[n * ms + i * mr + k * mc].
// A workgroup is one subgroup of 8 lanes; per k lane l fetches M(n, i0 + l, k) and every lane
// takes the 8 values with subgroupBroadcast at constant lanes. Each lane owns 8 rows x 4
// consecutive positions (32 accumulators): one x vec4 and one matrix load feed 32 multiply-adds.
// Grid: x = position vec4s / 8, y = row blocks of 8, z = n.
// Split launches (tensors larger than one storage binding): samples u0 + z, out / m / x / mu
// bound from elements bo, bm, bx, bmu (multiples of 4).
struct Params { rows: u32, k: u32, len: u32, ms: u32, mr: u32, mc: u32, center: u32,
                u0: u32, bo: u32, bm: u32, bx: u32, bmu: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mu: array<f32>;

fn store(n: u32, i: u32, q: u32, len4: u32, a: vec4<f32>) {
    if (i < p.rows && q < len4) {
        out[(n * p.rows + i) * len4 + q - p.bo / 4u] = a;
    }
}

@compute @workgroup_size(8)
fn covariance_backward_sg(@builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(local_invocation_id) lid: vec3<u32>,
                          @builtin(subgroup_invocation_id) lane: u32) {
    let n = wid.z + p.u0;
    let len4 = p.len / 4u;
    let q = wid.x * 8u + lid.x;
    // Lanes past the end still fetch (clamped) and broadcast; they store nothing.
    let qc = min(q, len4 - 1u);
    let i0 = wid.y * 8u;
    let mrow = n * p.ms + min(i0 + lane, p.rows - 1u) * p.mr - p.bm;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0);
    var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0);
    var a7 = vec4<f32>(0.0);
    for (var k = 0u; k < p.k; k++) {
        var xv = x[(n * p.k + k) * len4 + qc - p.bx / 4u];
        if (p.center != 0u) {
            xv -= vec4<f32>(mu[n * p.k + k - p.bmu]);
        }
        let ml = m[mrow + k * p.mc];
        a0 = fma(vec4<f32>(subgroupBroadcast(ml, 0u)), xv, a0);
        a1 = fma(vec4<f32>(subgroupBroadcast(ml, 1u)), xv, a1);
        a2 = fma(vec4<f32>(subgroupBroadcast(ml, 2u)), xv, a2);
        a3 = fma(vec4<f32>(subgroupBroadcast(ml, 3u)), xv, a3);
        a4 = fma(vec4<f32>(subgroupBroadcast(ml, 4u)), xv, a4);
        a5 = fma(vec4<f32>(subgroupBroadcast(ml, 5u)), xv, a5);
        a6 = fma(vec4<f32>(subgroupBroadcast(ml, 6u)), xv, a6);
        a7 = fma(vec4<f32>(subgroupBroadcast(ml, 7u)), xv, a7);
    }
    store(n, i0, q, len4, a0);
    store(n, i0 + 1u, q, len4, a1);
    store(n, i0 + 2u, q, len4, a2);
    store(n, i0 + 3u, q, len4, a3);
    store(n, i0 + 4u, q, len4, a4);
    store(n, i0 + 5u, q, len4, a5);
    store(n, i0 + 6u, q, len4, a6);
    store(n, i0 + 7u, q, len4, a7);
}
