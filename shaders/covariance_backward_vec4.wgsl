// covariance_backward.wgsl with vec4 loads, for a matrix whose column blocks are contiguous:
//   out[n, i, q] = sum_k M(n, i, k) (X[n, k, q] - (center ? mu[n, k] : 0)),
//   M(n, i0..i0+4, k) = m[(n * ms + k * mc + i0) / 4 .. ] (one vec4 load; mr must be 1),
// for len, rows, ms and mc multiples of 4. The covariance backward's matrix is symmetric, so
// its rows serve as columns; the RFF input gradient's W^T has this layout natively.
// Per k a lane loads one M vec4 (uniform across the workgroup) and one X vec4: 16 multiply-adds.
struct Params { rows: u32, k: u32, len: u32, ms: u32, mr: u32, mc: u32, center: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> m: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mu: array<f32>;

@compute @workgroup_size(64)
fn covariance_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>,
                            @builtin(workgroup_id) wid: vec3<u32>) {
    let n = wid.z;
    let q = gid.x;
    let len4 = p.len / 4u;
    let i0 = wid.y * 4u;
    if (q >= len4) {
        return;
    }
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    let mb = (n * p.ms + i0) / 4u;
    let mc4 = p.mc / 4u;
    for (var k = 0u; k < p.k; k++) {
        var xv = x[(n * p.k + k) * len4 + q];
        if (p.center != 0u) {
            xv -= vec4<f32>(mu[n * p.k + k]);
        }
        let mv = m[mb + k * mc4];
        acc0 = fma(vec4<f32>(mv.x), xv, acc0);
        acc1 = fma(vec4<f32>(mv.y), xv, acc1);
        acc2 = fma(vec4<f32>(mv.z), xv, acc2);
        acc3 = fma(vec4<f32>(mv.w), xv, acc3);
    }
    let ob = (n * p.rows + i0) * len4 + q;
    out[ob] = acc0;
    out[ob + len4] = acc1;
    out[ob + 2u * len4] = acc2;
    out[ob + 3u * len4] = acc3;
}
