// A small matrix applied at every position:
//   out[n, i, q] = sum_{k < K} M(n, i, k) * (X[n, k, q] - (center ? mu[n, k] : 0))
// with M(n, i, k) = m[n * ms + i * mr + k * mc] (strides: a transposed or batch-shared matrix
// without a copy) and X[n, k, q] = x[(n * K + k) * len + q]. Used by the covariance backward
// (M = (dS + dS^T) / HW, centred X) and the RFF input gradient (M = W^T, X = dz).
// Register-blocked: each lane owns 4 rows x 4 consecutive positions (16 accumulators); the
// lanes of a workgroup share the rows, so the M loads are uniform.
// Grid: x = position blocks / 64, y = row blocks of 4, z = n.
// Split launches (tensors larger than one storage binding): samples u0 + z, out / m / x / mu
// bound from elements bo, bm, bx, bmu (multiples of 4).
struct Params { rows: u32, k: u32, len: u32, ms: u32, mr: u32, mc: u32, center: u32,
                u0: u32, bo: u32, bm: u32, bx: u32, bmu: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> mu: array<f32>;

@compute @workgroup_size(64)
fn covariance_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(workgroup_id) wid: vec3<u32>) {
    let n = wid.z + p.u0;
    let q0 = gid.x * 4u;
    let i0 = wid.y * 4u;
    if (q0 >= p.len) {
        return;
    }
    let qs = vec4<u32>(q0, min(q0 + 1u, p.len - 1u), min(q0 + 2u, p.len - 1u), min(q0 + 3u, p.len - 1u));
    let ir = vec4<u32>(i0, min(i0 + 1u, p.rows - 1u), min(i0 + 2u, p.rows - 1u), min(i0 + 3u, p.rows - 1u));
    let mrow = vec4<u32>(n * p.ms) + ir * p.mr - vec4<u32>(p.bm);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k = 0u; k < p.k; k++) {
        let xb = (n * p.k + k) * p.len - p.bx;
        var xv = vec4<f32>(x[xb + qs.x], x[xb + qs.y], x[xb + qs.z], x[xb + qs.w]);
        if (p.center != 0u) {
            xv -= vec4<f32>(mu[n * p.k + k - p.bmu]);
        }
        let kc = k * p.mc;
        acc0 = fma(vec4<f32>(m[mrow.x + kc]), xv, acc0);
        acc1 = fma(vec4<f32>(m[mrow.y + kc]), xv, acc1);
        acc2 = fma(vec4<f32>(m[mrow.z + kc]), xv, acc2);
        acc3 = fma(vec4<f32>(m[mrow.w + kc]), xv, acc3);
    }
    let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var r = 0u; r < 4u; r++) {
        if (i0 + r < p.rows) {
            let ob = (n * p.rows + i0 + r) * p.len - p.bo;
            for (var c = 0u; c < 4u; c++) {
                if (q0 + c < p.len) {
                    out[ob + q0 + c] = accs[r][c];
                }
            }
        }
    }
}
