// Random Fourier features at every position:
//   z[n, d, q] = sum_c w[d, c] x[n, c, q] + b[d];  out = s cos z;  nsin = -s sin z
// (nsin is kept for the backward: dz = dout * nsin). s = sqrt(2 / D).
// Register-blocked like covariance_backward.wgsl: 4 features x 4 consecutive positions per
// lane, the weight loads uniform across a workgroup. Grid: x = position blocks / 64,
// y = feature blocks of 4, z = n.
// Split launches (tensors larger than one storage binding): samples u0 + z, out and nsin bound
// from element bo, x from bx (multiples of 4).
struct Params { d: u32, c: u32, len: u32, s: f32, u0: u32, bo: u32, bx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> nsin: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;

@compute @workgroup_size(64)
fn rff_forward(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(workgroup_id) wid: vec3<u32>) {
    let n = wid.z + p.u0;
    let q0 = gid.x * 4u;
    let d0 = wid.y * 4u;
    if (q0 >= p.len) {
        return;
    }
    let qs = vec4<u32>(q0, min(q0 + 1u, p.len - 1u), min(q0 + 2u, p.len - 1u), min(q0 + 3u, p.len - 1u));
    let ds = vec4<u32>(d0, min(d0 + 1u, p.d - 1u), min(d0 + 2u, p.d - 1u), min(d0 + 3u, p.d - 1u));
    var acc0 = vec4<f32>(b[ds.x]);
    var acc1 = vec4<f32>(b[ds.y]);
    var acc2 = vec4<f32>(b[ds.z]);
    var acc3 = vec4<f32>(b[ds.w]);
    let wrow = ds * p.c;
    for (var k = 0u; k < p.c; k++) {
        let xb = (n * p.c + k) * p.len - p.bx;
        let xv = vec4<f32>(x[xb + qs.x], x[xb + qs.y], x[xb + qs.z], x[xb + qs.w]);
        acc0 = fma(vec4<f32>(w[wrow.x + k]), xv, acc0);
        acc1 = fma(vec4<f32>(w[wrow.y + k]), xv, acc1);
        acc2 = fma(vec4<f32>(w[wrow.z + k]), xv, acc2);
        acc3 = fma(vec4<f32>(w[wrow.w + k]), xv, acc3);
    }
    let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var r = 0u; r < 4u; r++) {
        if (d0 + r < p.d) {
            let ob = (n * p.d + d0 + r) * p.len - p.bo;
            for (var c = 0u; c < 4u; c++) {
                if (q0 + c < p.len) {
                    let z = accs[r][c];
                    out[ob + q0 + c] = p.s * cos(z);
                    nsin[ob + q0 + c] = -p.s * sin(z);
                }
            }
        }
    }
}
