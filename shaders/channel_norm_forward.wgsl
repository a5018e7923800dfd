// Unit-normalisation over channels (LPIPS's normalize_tensor): for every (n, position),
// y[n, c] = x[n, c] / (sqrt(sum_c x[n, c]^2) + eps). One position per lane, looping over C.
struct Params { c: u32, hw: u32, total: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(64)
fn channel_norm_forward(@builtin(local_invocation_index) l: u32,
                        @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let base = (i / p.hw) * p.c * p.hw + i % p.hw;
    var ss = 0.0;
    for (var c = 0u; c < p.c; c++) {
        let v = x[base + c * p.hw];
        ss = fma(v, v, ss);
    }
    let inv = 1.0 / (sqrt(ss) + p.eps);
    for (var c = 0u; c < p.c; c++) {
        y[base + c * p.hw] = x[base + c * p.hw] * inv;
    }
}
