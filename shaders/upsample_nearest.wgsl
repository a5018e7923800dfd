// Nearest-neighbour x2: out[n, c, y, x] = in[n, c, y / 2, x / 2]; the backward sums each 2x2
// block of the output gradient (a gather: one lane per input element, no atomics).
// Grid: x = columns / 64, y (+ z folded) = blocks of 4 rows of the destination, counted over N * C * height:
// destination row `row` pairs with source row row / 2 (forward) or 2 row, 2 row + 1 (backward),
// so no lane divides. p.nc = N * C, p.h / p.w = the small (input) spatial size.
// Split launches (tensors larger than one storage binding): destination rows u0..u1 only, out
// and src bound from elements bo / bs. f is 2.
struct Params { nc: u32, h: u32, w: u32, f: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(64, 4)
fn nearest2x_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(local_invocation_id) lid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    let x = gid.x;
    let wo = p.w * 2u;
    if (row >= p.u1 || x >= wo) {
        return;
    }
    out[row * wo + x - p.bo] = src[(row >> 1u) * p.w + (x >> 1u) - p.bs];
}

@compute @workgroup_size(64, 4)
fn nearest2x_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.w) {
        return;
    }
    let wo = p.w * 2u;
    let b = row * 2u * wo + x * 2u - p.bs;
    out[row * p.w + x - p.bo] = (src[b] + src[b + 1u]) + (src[b + wo] + src[b + wo + 1u]);
}
