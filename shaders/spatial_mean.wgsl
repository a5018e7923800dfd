// Spatial row sums (forward) and their broadcast (backward).
// spatial_mean_forward: out[r] = scale * sum_{g < groups} sum_{q < len} src[(g * rows + r) * len + q],
//   one workgroup per output row, 64 lanes summing strided positions, then a fixed-order tree
//   (deterministic; no atomics). groups > 1 sums a row over the batch (RFF bias gradient).
// spatial_mean_backward: out[r * len + q] = scale * src[r] (groups must be 1).
struct Params { rows: u32, groups: u32, len: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn spatial_mean_forward(@builtin(local_invocation_index) l: u32,
                        @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = wid.x + wid.y * nwg.x;
    var s = 0.0;
    if (r < p.rows) {
        for (var g = 0u; g < p.groups; g++) {
            let base = (g * p.rows + r) * p.len;
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
    if (l == 0u && r < p.rows) {
        out[r] = part[0] * p.scale;
    }
}

// Grid: x = positions / 64, y (+ z folded) = blocks of 4 rows.
@compute @workgroup_size(64, 4)
fn spatial_mean_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(local_invocation_id) lid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y;
    if (row < p.rows && gid.x < p.len) {
        out[row * p.len + gid.x] = src[row] * p.scale;
    }
}
