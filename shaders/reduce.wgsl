// Deterministic partial sums over a tensor viewed as [outer, c, inner], per channel c.
// Workgroup g = ch * nchunks + k sums the terms of channel ch whose flat position
// m = o * inner + j (o < outer, j < inner) lies in [k * chunk, (k + 1) * chunk): each lane
// adds a fixed stride of m, then a fixed tree over the lanes; out[g] = sum * scale (sqrt'ed
// when root != 0). The result [c, nchunks] is reduced again the same way (outer = 1,
// inner = nchunks, MODE 0) until nchunks == 1: same inputs, same order, same bits.
//
// MODE (override) picks the term of element i:
//   0: a[i]   1: a[i]^2   2: b[i] < 0 ? a[i] * b[i] : 0 (PReLU slope gradient: a = dy, b = x)
//   3: |a[i] - b[i]|   4: (a[i] - b[i])^2   5: sqrt((a[i] - b[i])^2 + eps^2)   (losses)
// Modes that read only `a` bind the same buffer as `b`.
override MODE: u32 = 0u;
const WG: u32 = 256u;

struct Params { outer: u32, c: u32, inner: u32, chunk: u32, nchunks: u32, scale: f32, eps: f32, root: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

var<workgroup> acc: array<f32, WG>;

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
fn reduce_partial(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.c * p.nchunks) { return; }
    let ch = g / p.nchunks;
    let k = g - ch * p.nchunks;
    let len = p.outer * p.inner;
    let start = k * p.chunk;
    let end = min(start + p.chunk, len);
    var s = 0.0;
    if (p.outer == 1u) {
        let base = ch * p.inner;
        for (var m = start + li; m < end; m += WG) { s += term(base + m); }
    } else {
        for (var m = start + li; m < end; m += WG) {
            let o = m / p.inner;
            let j = m - o * p.inner;
            s += term((o * p.c + ch) * p.inner + j);
        }
    }
    acc[li] = s;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w / 2u) {
        if (li < w) { acc[li] = acc[li] + acc[li + w]; }
        workgroupBarrier();
    }
    if (li == 0u) {
        var r = acc[0] * p.scale;
        if (p.root != 0u) { r = sqrt(r); }
        out[g] = r;
    }
}
