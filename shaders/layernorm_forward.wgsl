// LayerNorm over the last dim of x [M, C]: one invocation per row (rows on a 1-D grid folded
// into 2-D), two passes over the row (mean, then centred variance). Saves mean and 1/std per
// row in stats [M, 2] for the backward.
struct Params { rows: u32, c: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;

@compute @workgroup_size(64)
fn layernorm_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 64u;
    if (r >= p.rows) {
        return;
    }
    let base = r * p.c;
    var s = 0.0;
    for (var i = 0u; i < p.c; i++) {
        s += x[base + i];
    }
    let mean = s / f32(p.c);
    var v = 0.0;
    for (var i = 0u; i < p.c; i++) {
        let d = x[base + i] - mean;
        v = fma(d, d, v);
    }
    let rstd = inverseSqrt(v / f32(p.c) + p.eps);
    for (var i = 0u; i < p.c; i++) {
        y[base + i] = fma((x[base + i] - mean) * rstd, gamma[i], beta[i]);
    }
    stats[2u * r] = mean;
    stats[2u * r + 1u] = rstd;
}
