// dx of LayerNorm, one invocation per row: with xhat = (x - mean) rstd and g = dy gamma,
// dx = rstd (g - mean(g) - xhat mean(g xhat)).
struct Params { rows: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;

@compute @workgroup_size(64)
fn layernorm_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 64u;
    if (r >= p.rows) {
        return;
    }
    let base = r * p.c;
    let mean = stats[2u * r];
    let rstd = stats[2u * r + 1u];
    var sg = 0.0;
    var sgx = 0.0;
    for (var i = 0u; i < p.c; i++) {
        let g = dy[base + i] * gamma[i];
        sg += g;
        sgx = fma(g, (x[base + i] - mean) * rstd, sgx);
    }
    let mg = sg / f32(p.c);
    let mgx = sgx / f32(p.c);
    for (var i = 0u; i < p.c; i++) {
        let g = dy[base + i] * gamma[i];
        let xh = (x[base + i] - mean) * rstd;
        dx[base + i] = rstd * (g - mg - xh * mgx);
    }
}
