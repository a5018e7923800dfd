// covariance_reduce: out[g, i, j] = scale * sum_{s < S} part[g, s, i', j'] in index order, where
//   (i', j') = (i, j), or (j, i) when p.sym != 0 and i's 32-row tile lies below j's (those
//   tiles were skipped by covariance_partial). One lane per output.
// Split launches (tensors larger than one storage binding): outputs u0..u1 only, out and src
// bound from elements bo / bs.
struct Params { groups: u32, chunks: u32, ra: u32, rb: u32, scale: f32, sym: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(256)
fn covariance_reduce(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 256u + p.u0;
    let m = p.ra * p.rb;
    if (idx >= p.u1) {
        return;
    }
    let g = idx / m;
    var i = (idx % m) / p.rb;
    var j = idx % p.rb;
    if (p.sym != 0u && i / 32u > j / 32u) {
        let t = i;
        i = j;
        j = t;
    }
    let off = i * p.rb + j;
    var s = 0.0;
    for (var k = 0u; k < p.chunks; k++) {
        s += src[(g * p.chunks + k) * m + off - p.bs];
    }
    out[idx - p.bo] = s * p.scale;
}
