// First pass of the deterministic reduction of reduce.wgsl, four elements per load: the
// tensor is viewed as [outer, c, inner] vec4s (inner_elems floats per row), used when rows are
// whole vec4s (inner_elems % 4 == 0)
// or when there is one channel (c = 1, rows of `inner_elems` elements, the last one possibly short).
// Elements at or past `remaining` (elements from the start of this launch's binding) or past
// `inner_elems` in a row are masked off (bindings are padded to 16 bytes). A tensor larger than one
// binding comes in several launches over consecutive rows, each bound from an aligned start
// `skew` vec4s before its first row. Lane r = ch * nruns + k sums `run`
// vec4s of channel ch in order, then their four components in a fixed order, into
// out[ch * stride + run_base + k].
override MODE: u32 = 0u;

struct Params {
    outer: u32, c: u32, inner: u32, inner_elems: u32, run: u32, nruns: u32, scale: f32, eps: f32,
    root: u32, remaining: u32, stride: u32, run_base: u32, skew: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;

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

@compute @workgroup_size(256)
fn reduce_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 256u;
    if (r >= p.c * p.nruns) { return; }
    let ch = r / p.nruns;
    let k = r - ch * p.nruns;
    let start = k * p.run;
    let end = min(start + p.run, p.outer * p.inner);
    var o = start / p.inner;
    var j = start - o * p.inner;
    var s = vec4<f32>(0.0);
    for (var m = start; m < end; m++) {
        let e = vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u);
        let flat = vec4<u32>((o * p.c + ch) * p.inner_elems) + e;
        let keep = (e < vec4<u32>(p.inner_elems)) & (flat < vec4<u32>(p.remaining));
        s += select(vec4<f32>(0.0), term(p.skew + (o * p.c + ch) * p.inner + j), keep);
        j++;
        if (j == p.inner) { j = 0u; o++; }
    }
    var v = ((s.x + s.y) + (s.z + s.w)) * p.scale;
    if (p.root != 0u) { v = sqrt(v); }
    out[ch * p.stride + p.run_base + k] = v;
}
