// Partial sums for LayerNorm's dgamma = sum_rows dy xhat and dbeta = sum_rows dy: invocation
// (col, chunk) sums the chunk's rows in order into partial[chunk, col] (dgamma) and
// partial[chunk, C + col] (dbeta); matmul's colsum_final then sums the chunks in order.
struct Params { rows: u32, c: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;

@compute @workgroup_size(64)
fn layernorm_backward_params(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    let ch = gid.y;
    if (col >= p.c || ch >= p.nchunks) {
        return;
    }
    let r0 = ch * p.chunk;
    let r1 = min(r0 + p.chunk, p.rows);
    var sg = 0.0;
    var sb = 0.0;
    for (var r = r0; r < r1; r++) {
        let d = dy[r * p.c + col];
        sg = fma(d, (x[r * p.c + col] - stats[2u * r]) * stats[2u * r + 1u], sg);
        sb += d;
    }
    partial[ch * 2u * p.c + col] = sg;
    partial[ch * 2u * p.c + p.c + col] = sb;
}
