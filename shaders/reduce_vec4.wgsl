// First pass of the deterministic reduction (see reduce.wgsl), four elements per load: the
// tensor is viewed as [outer, c, inner4] vec4s, used when rows are whole vec4s (inner % 4 == 0)
// or when there is one row (outer = c = 1: components past `inner` are masked off; the
// binding is padded to 16 bytes). Workgroup g = ch * nchunks + k sums vec4s
// [k * chunk4, (k + 1) * chunk4) of channel ch's outer * inner4 vec4s, each lane a fixed
// stride, then a fixed tree; out[g] = sum * scale (sqrt'ed when root != 0).
// MODE (override): the term, as in reduce.wgsl.
override MODE: u32 = 0u;
const WG: u32 = 64u;

struct Params {
    outer: u32, c: u32, inner4: u32, inner: u32, chunk4: u32, nchunks: u32, scale: f32, eps: f32,
    root: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;

var<workgroup> acc: array<f32, WG>;

fn term(i: u32) -> vec4<f32> {
    switch MODE {
        case 1u: { let v = a[i]; return v * v; }
        case 2u: { let x = b[i]; return select(vec4<f32>(0.0), a[i] * x, x < vec4<f32>(0.0)); }
        case 3u: { return abs(a[i] - b[i]); }
        case 4u: { let d = a[i] - b[i]; return d * d; }
        case 5u: { let d = a[i] - b[i]; return sqrt(d * d + p.eps * p.eps); }
        default: { return a[i]; }
    }
}

@compute @workgroup_size(64)
fn reduce_partial(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.c * p.nchunks) { return; }
    let ch = g / p.nchunks;
    let k = g - ch * p.nchunks;
    let len = p.outer * p.inner4;
    let start = k * p.chunk4;
    let end = min(start + p.chunk4, len);
    var s = vec4<f32>(0.0);
    if (p.outer == 1u) {
        let base = ch * p.inner4;
        for (var m = start + li; m < end; m += WG) {
            // Mask the components past the end of the (single) row.
            let keep = vec4<u32>(4u * m) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.inner);
            s += select(vec4<f32>(0.0), term(base + m), keep);
        }
    } else {
        for (var m = start + li; m < end; m += WG) {
            let o = m / p.inner4;
            let j = m - o * p.inner4;
            s += term((o * p.c + ch) * p.inner4 + j);
        }
    }
    acc[li] = (s.x + s.y) + (s.z + s.w);
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
