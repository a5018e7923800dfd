// The matrix of covariance_backward_sg / rff_forward_sg, padded to whole 32-row blocks and
// vec4s of k (zeros outside), k contiguous so those kernels load 4 k values at once:
//   out[(s * rows_p + i) * kp + k] = scale * (M(s, i, k) + (sym ? M(s, k, i) : 0)),
//   M(s, i, k) = src[s * ms + i * mr + k * mc]
// (the covariance backward's (dS + dS^T) / HW, the RFF weights, or their transpose).
// One lane per padded element; grid x = elements / 64, y = samples.
// Split launches (tensors larger than one storage binding): samples u0 + y, out and src bound
// from elements bo / bs.
struct Params { rows: u32, k: u32, rows_p: u32, kp: u32, ms: u32, mr: u32, mc: u32, sym: u32,
                scale: f32, u0: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(64)
fn covariance_pad_matrix(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(workgroup_id) wid: vec3<u32>) {
    let e = gid.x;
    if (e >= p.rows_p * p.kp) {
        return;
    }
    let s = wid.y + p.u0;
    let i = e / p.kp;
    let k = e % p.kp;
    var v = 0.0;
    if (i < p.rows && k < p.k) {
        let base = s * p.ms - p.bs;
        if (p.sym != 0u) {
            v = (src[base + i * p.mr + k * p.mc] + src[base + k * p.mr + i * p.mc]) * p.scale;
        } else {
            v = src[base + i * p.mr + k * p.mc] * p.scale;
        }
    }
    out[s * p.rows_p * p.kp + e - p.bo] = v;
}
