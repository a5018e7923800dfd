// Spatial row sums (forward) and their broadcast (backward).
// spatial_mean_forward: out[r] = scale * sum_{g < groups} sum_{q < len} src[(g * rows + r) * len + q],
//   one workgroup per output row, 64 lanes summing strided positions, then a fixed-order tree
//   (deterministic; no atomics). groups > 1 sums a row over the batch (RFF bias gradient).
// spatial_mean_backward: out[r * len + q] = scale * src[r / groups] (groups: rows per channel,
//   more than 1 when a channel is larger than one storage binding).
// spatial_mean_partial (rows larger than one storage binding): lane l of row r adds positions
//   q0 + l, q0 + l + 64, ... < q1 (q0 a multiple of 64) of group g to its running sum, loaded
//   from out[r * 64 + l] when p.load != 0, and stores it back; spatial_mean_forward over those
//   [rows, 64] sums then gives the same bits as one launch.
// Split launches: rows u0..u1 only, out and src bound from elements bo / bs.
struct Params { rows: u32, groups: u32, len: u32, scale: f32, u0: u32, u1: u32, bo: u32, bs: u32,
                q0: u32, q1: u32, g: u32, load: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn spatial_mean_forward(@builtin(local_invocation_index) l: u32,
                        @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = wid.x + wid.y * nwg.x + p.u0;
    var s = 0.0;
    if (r < p.u1) {
        for (var g = 0u; g < p.groups; g++) {
            let base = (g * p.rows + r) * p.len - p.bs;
            for (var i = l; i < p.len; i += 64u) {
                s += src[base + i];
            }
        }
    }
    part[l] = s;
    workgroupBarrier();
    for (var w = 32u; w > 0u; w >>= 1u) {
        if (l < w) {
            part[l] += part[l + w];
        }
        workgroupBarrier();
    }
    if (l == 0u && r < p.u1) {
        out[r - p.bo] = part[0] * p.scale;
    }
}

@compute @workgroup_size(64)
fn spatial_mean_partial(@builtin(local_invocation_index) l: u32,
                        @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = wid.x + wid.y * nwg.x + p.u0;
    if (r >= p.u1) {
        return;
    }
    let o = r * 64u + l - p.bo;
    var s = 0.0;
    if (p.load != 0u) {
        s = out[o];
    }
    let base = (p.g * p.rows + r) * p.len - p.bs;
    for (var i = p.q0 + l; i < p.q1; i += 64u) {
        s += src[base + i];
    }
    out[o] = s;
}

// Grid: x = positions / 64, y (+ z folded) = blocks of 4 rows.
@compute @workgroup_size(64, 4)
fn spatial_mean_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(local_invocation_id) lid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row < p.u1 && gid.x < p.len) {
        out[row * p.len + gid.x - p.bo] = src[row / p.groups - p.bs] * p.scale;
    }
}
