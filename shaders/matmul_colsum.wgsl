// Deterministic column sums of x [rows, cols]: `colsum_partial` sums each chunk of `chunk`
// rows in row order into partial [nchunks, cols]; `colsum_final` sums the partials in chunk
// order. No atomics: the same input gives the same bits on every run.
// Large inputs are split into blocks of whole chunks and of columns, each bound as a
// sub-range: a launch covers `bcols` columns and `bchunks` chunks (`rows` rows) of x, read at
// x[xoff + r * stride + col] and written to partial[poff + ch * stride + col]. Invocations
// run on a 1-D grid folded into 2-D (index = (wid.x + wid.y * nwg.x) * 64 + lid.x).
// A chunk too wide for one binding is summed by several launches of fewer rows: those after
// the first continue from the partial sums (`accumulate`), keeping the row order.
struct Params { rows: u32, bcols: u32, chunk: u32, bchunks: u32, stride: u32, xoff: u32,
                poff: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.x + wid.y * nwg.x) * 64u + lid.x;
}

@compute @workgroup_size(64)
fn colsum_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.bcols * p.bchunks) {
        return;
    }
    let col = i % p.bcols;
    let ch = i / p.bcols;
    let r0 = ch * p.chunk;
    let r1 = min(r0 + p.chunk, p.rows);
    var s = 0.0;
    if (p.accumulate != 0u) {
        s = out[p.poff + ch * p.stride + col];
    }
    var at = p.xoff + r0 * p.stride + col;
    for (var r = r0; r < r1; r++) {
        s += src[at];
        at += p.stride;
    }
    out[p.poff + ch * p.stride + col] = s;
}

// out[col] = sum over the bchunks partial rows, in order (out bound from the block's first
// column, src = partial from the same column: offsets xoff / poff).
@compute @workgroup_size(64)
fn colsum_final(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let col = index(wid, nwg, lid);
    if (col >= p.bcols) {
        return;
    }
    var s = 0.0;
    var at = p.xoff + col;
    for (var ch = 0u; ch < p.bchunks; ch++) {
        s += src[at];
        at += p.stride;
    }
    out[p.poff + col] = s;
}
