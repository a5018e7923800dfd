// Partial sums for LayerNorm's dgamma = sum_rows dy xhat and dbeta = sum_rows dy, for
// C % 4 == 0 (layernorm_backward_params.wgsl otherwise): invocation (4 columns, chunk) sums
// the chunk's rows in order with vec4 loads into partial[ch0 + chunk, cols] (dgamma) and
// partial[ch0 + chunk, C + cols] (dbeta); matmul's colsum_final then sums the chunks in
// order. 1-D grid folded into 2-D: index = (wid.x + wid.y * nwg.x) * 64 + lid.x.
struct Params { rows: u32, c4: u32, chunk: u32, nchunks: u32, ch0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> stats: array<vec2<f32>>;

@compute @workgroup_size(64)
fn layernorm_backward_params4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                              @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + lid.x;
    if (i >= p.c4 * p.nchunks) {
        return;
    }
    let col = i % p.c4;
    let ch = i / p.c4;
    let r0 = ch * p.chunk;
    let r1 = min(r0 + p.chunk, p.rows);
    var sg = vec4<f32>(0.0);
    var sb = vec4<f32>(0.0);
    var at = r0 * p.c4 + col;
    for (var r = r0; r < r1; r++) {
        let d = dy[at];
        let st = stats[r];
        sg = fma(d, (x[at] - vec4<f32>(st.x)) * st.y, sg);
        sb += d;
        at += p.c4;
    }
    let out = (p.ch0 + ch) * 2u * p.c4;
    partial[out + col] = sg;
    partial[out + p.c4 + col] = sb;
}
