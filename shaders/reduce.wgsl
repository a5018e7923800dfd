// Deterministic partial sums over a tensor viewed as [outer, c, inner], per channel c.
// Lane r = ch * nruns + k sums, in order, the terms of channel ch at flat positions
// m = o * inner + j (o < outer, j < inner) in [k * run, (k + 1) * run), and writes
// out[r] = sum * scale (sqrt'ed when root != 0). The result [c, nruns] is reduced again the
// same way (outer = 1, inner = nruns, MODE 0) until nruns == 1: same inputs, same order, same
// bits. No workgroup barriers: on lavapipe a lane-private run is ~3x faster than a
// workgroup tree (measured: 2.36M-element sum, first pass 2.6 ms vs 7.6 ms).
//
// MODE (override) picks the term of element i:
//   0: a[i]   1: a[i]^2   2: b[i] < 0 ? a[i] * b[i] : 0 (PReLU slope gradient: a = dy, b = x)
//   3: |a[i] - b[i]|   4: (a[i] - b[i])^2   5: sqrt((a[i] - b[i])^2 + eps^2)   (losses)
// Modes that read only `a` bind the same buffer as `b`.
override MODE: u32 = 0u;

// Same uniform block as reduce_vec4.wgsl (units = inner here; nothing is padded, so no mask):
// a tensor larger than one binding comes in launches over consecutive rows, each bound from
// an aligned start `skew` elements before its first row, lane r writing
// out[ch * stride + run_base + k].
struct Params {
    outer: u32, c: u32, inner: u32, inner_elems: u32, run: u32, nruns: u32, scale: f32, eps: f32,
    root: u32, remaining: u32, stride: u32, run_base: u32, skew: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn term(i: u32) -> f32 {
    switch MODE {
        case 1u: { let v = a[i]; return v * v; }
        case 2u: { let x = b[i]; return select(0.0, a[i] * x, x < 0.0); }
        case 3u: { return abs(a[i] - b[i]); }
        case 4u: { let d = a[i] - b[i]; return d * d; }
        case 5u: { let d = a[i] - b[i]; return sqrt(d * d + p.eps * p.eps); }
        default: { return a[i]; }
    }
}

@compute @workgroup_size(256)
fn reduce_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 256u;
    if (r >= p.c * p.nruns) { return; }
    let ch = r / p.nruns;
    let k = r - ch * p.nruns;
    let start = k * p.run;
    let end = min(start + p.run, p.outer * p.inner);
    // Rows of a one-channel view may end early (the last row of a split flat tensor).
    let stop = p.remaining;
    var o = start / p.inner;
    var j = start - o * p.inner;
    var s = 0.0;
    for (var m = start; m < end; m++) {
        let e = (o * p.c + ch) * p.inner + j;
        if (e < stop) { s += term(p.skew + e); }
        j++;
        if (j == p.inner) { j = 0u; o++; }
    }
    var v = s * p.scale;
    if (p.root != 0u) { v = sqrt(v); }
    out[ch * p.stride + p.run_base + k] = v;
}
