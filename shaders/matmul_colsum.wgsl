// Deterministic column sums of x [rows, cols]: `colsum_partial` sums each chunk of `chunk`
// rows in row order into partial [nchunks, cols]; `colsum_final` sums the partials in chunk
// order. No atomics: the same input gives the same bits on every run.
struct Params { rows: u32, cols: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(64)
fn colsum_partial(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    let ch = gid.y;
    if (col >= p.cols || ch >= p.nchunks) {
        return;
    }
    let r0 = ch * p.chunk;
    let r1 = min(r0 + p.chunk, p.rows);
    var s = 0.0;
    for (var r = r0; r < r1; r++) {
        s += src[r * p.cols + col];
    }
    out[ch * p.cols + col] = s;
}

@compute @workgroup_size(64)
fn colsum_final(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    if (col >= p.cols) {
        return;
    }
    var s = 0.0;
    for (var ch = 0u; ch < p.nchunks; ch++) {
        s += src[ch * p.cols + col];
    }
    out[col] = s;
}
