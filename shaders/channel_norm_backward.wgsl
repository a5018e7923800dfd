// Input gradient of channel_norm_forward.wgsl. With r = sqrt(sum_c x_c^2) and d = r + eps:
// dx_c = dy_c / d - x_c (sum_k dy_k x_k) / (r d^2)   (the second term is 0 where r = 0).
struct Params { c: u32, hw: u32, total: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(64)
fn channel_norm_backward(@builtin(local_invocation_index) l: u32,
                         @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let base = (i / p.hw) * p.c * p.hw + i % p.hw;
    var ss = 0.0;
    var dot = 0.0;
    for (var c = 0u; c < p.c; c++) {
        let v = x[base + c * p.hw];
        ss = fma(v, v, ss);
        dot = fma(dy[base + c * p.hw], v, dot);
    }
    let r = sqrt(ss);
    let d = r + p.eps;
    var g = 0.0;
    if (r > 0.0) {
        g = dot / (r * d * d);
    }
    for (var c = 0u; c < p.c; c++) {
        let j = base + c * p.hw;
        dx[j] = dy[j] / d - x[j] * g;
    }
}
