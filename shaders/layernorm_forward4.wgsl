// LayerNorm forward for C % 4 == 0 (layernorm_forward.wgsl otherwise): one invocation per
// row, the row read as C/4 vec4 (a quarter of the loads), four running partial sums per pass
// combined at the end. Two passes for the statistics (mean, then centred variance), one for
// the output; saves mean and 1/std per row in stats [M, 2].
struct Params { rows: u32, c4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> gamma: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> beta: array<vec4<f32>>;

fn hsum(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}

@compute @workgroup_size(64)
fn layernorm_forward4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 64u;
    if (r >= p.rows) {
        return;
    }
    let base = r * p.c4;
    let inv_c = 1.0 / f32(4u * p.c4);
    var s = vec4<f32>(0.0);
    for (var i = 0u; i < p.c4; i++) {
        s += x[base + i];
    }
    let mean = hsum(s) * inv_c;
    var v = vec4<f32>(0.0);
    for (var i = 0u; i < p.c4; i++) {
        let d = x[base + i] - vec4<f32>(mean);
        v = fma(d, d, v);
    }
    let rstd = inverseSqrt(hsum(v) * inv_c + p.eps);
    for (var i = 0u; i < p.c4; i++) {
        y[base + i] = fma((x[base + i] - vec4<f32>(mean)) * rstd, gamma[i], beta[i]);
    }
    stats[2u * r] = mean;
    stats[2u * r + 1u] = rstd;
}
