// dx of LayerNorm for C % 4 == 0 (layernorm_backward_input.wgsl otherwise): one invocation per
// row, rows read as vec4. With xhat = (x - mean) rstd and g = dy gamma,
// dx = rstd (g - mean(g) - xhat mean(g xhat)).
struct Params { rows: u32, c4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> gamma: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>;

fn hsum(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}

@compute @workgroup_size(64)
fn layernorm_backward_input4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 64u;
    if (r >= p.rows) {
        return;
    }
    let base = r * p.c4;
    let st = stats[r];
    let mean = vec4<f32>(st.x);
    let rstd = st.y;
    var sg = vec4<f32>(0.0);
    var sgx = vec4<f32>(0.0);
    for (var i = 0u; i < p.c4; i++) {
        let g = dy[base + i] * gamma[i];
        sg += g;
        sgx = fma(g, (x[base + i] - mean) * rstd, sgx);
    }
    let inv_c = 1.0 / f32(4u * p.c4);
    let mg = vec4<f32>(hsum(sg) * inv_c);
    let mgx = vec4<f32>(hsum(sgx) * inv_c);
    for (var i = 0u; i < p.c4; i++) {
        let g = dy[base + i] * gamma[i];
        let xh = (x[base + i] - mean) * rstd;
        dx[base + i] = rstd * (g - mg - xh * mgx);
    }
}
