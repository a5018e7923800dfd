// Pixel shuffle (PyTorch semantics): [N, C*r*r, H, W] -> [N, C, H*r, W*r] with
//   out[n, c, y*r + i, x*r + j] = in[n, c*r*r + i*r + j, y, x].
// One lane per (n, c, y, x) of the small grid moves the r*r values of that position (the
// index arithmetic, not the copy, dominated a lane-per-element version on lavapipe). p.c is the
// output's channel count C, p.h / p.w the small (input) spatial size.
// Split launches (tensors larger than one storage binding): small-grid rows u0..u1 only, out
// and src bound from elements bo / bs.
struct Params { n: u32, c: u32, h: u32, w: u32, r: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

struct Pos { small: u32, big: u32, hw: u32, wo: u32 }

// Grid: x = columns / 64, y (+ z folded) = blocks of 4 rows (n, c, y) of the small grid.
// Index of (n, c*r*r, y, x) in the small tensor and of (n, c, y*r, x*r) in the big one.
fn pos(row: u32, x: u32) -> Pos {
    let hw = p.h * p.w;
    let wo = p.w * p.r;
    let small = ((row / p.h) * p.r * p.r * p.h + row % p.h) * p.w + x;
    return Pos(small, row * p.r * wo + x * p.r, hw, wo);
}
// out is the shuffled [N, C, H*r, W*r]; src is [N, C*r*r, H, W].
@compute @workgroup_size(64, 4)
fn pixel_shuffle_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(local_invocation_id) lid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row >= p.u1 || gid.x >= p.w) {
        return;
    }
    let q = pos(row, gid.x);
    var s = q.small;
    for (var i = 0u; i < p.r; i++) {
        let row = q.big + i * q.wo;
        for (var j = 0u; j < p.r; j++) {
            out[row + j - p.bo] = src[s - p.bs];
            s += q.hw;
        }
    }
}

// out is [N, C*r*r, H, W] (the gradient of the input); src is the gradient of the output.
@compute @workgroup_size(64, 4)
fn pixel_shuffle_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(local_invocation_id) lid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row >= p.u1 || gid.x >= p.w) {
        return;
    }
    let q = pos(row, gid.x);
    var s = q.small;
    for (var i = 0u; i < p.r; i++) {
        let row = q.big + i * q.wo;
        for (var j = 0u; j < p.r; j++) {
            out[s - p.bo] = src[row + j - p.bs];
            s += q.hw;
        }
    }
}
