// Partial sums for LayerNorm's dgamma = sum_rows dy xhat and dbeta = sum_rows dy: invocation
// (col, chunk) sums the chunk's rows in order into partial[ch0 + chunk, col] (dgamma) and
// partial[ch0 + chunk, C + col] (dbeta); matmul's colsum_final then sums the chunks in order.
// 1-D grid folded into 2-D: index = (wid.x + wid.y * nwg.x) * 64 + lid.x.
// (layernorm_backward_params4.wgsl is the vec4 version for C % 4 == 0.)
struct Params { rows: u32, c: u32, chunk: u32, nchunks: u32, ch0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;

@compute @workgroup_size(64)
fn layernorm_backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                             @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + lid.x;
    if (i >= p.c * p.nchunks) {
        return;
    }
    let col = i % p.c;
    let ch = i / p.c;
    let r0 = ch * p.chunk;
    let r1 = min(r0 + p.chunk, p.rows);
    var sg = 0.0;
    var sb = 0.0;
    var at = r0 * p.c + col;
    for (var r = r0; r < r1; r++) {
        let d = dy[at];
        sg = fma(d, (x[at] - stats[2u * r]) * stats[2u * r + 1u], sg);
        sb += d;
        at += p.c;
    }
    let out = (p.ch0 + ch) * 2u * p.c;
    partial[out + col] = sg;
    partial[out + p.c + col] = sb;
}
