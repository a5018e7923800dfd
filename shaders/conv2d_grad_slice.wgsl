// The gradient of one part of a multi-input convolution (conv2d_multi.rs): its channel slice
// of dx, added onto the gradient the tape already holds for that part when there is one:
// out[n, c, q] = (has_prev ? prev[n, c, q] : 0) + dx[n, off + c, q], out and prev [N, Cs, HW],
// dx [N, Cb, HW]. The sum in the tape's order (the held gradient first), in one pass instead of
// a split and an accumulation. Without a held gradient prev is bound to dx and not read.
// Grid and split launches as concat.wgsl (bo, bs, bp: the bindings' first elements).
struct Params {
    n: u32, cs: u32, cb: u32, off: u32, len: u32, u0: u32, u1: u32, bo: u32,
    bs: u32, bp: u32, has_prev: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> dx: array<f32>;
@group(0) @binding(3) var<storage, read> prev: array<f32>;

@compute @workgroup_size(64, 4)
fn conv2d_grad_slice(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(local_invocation_id) lid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row < p.u1 && gid.x < p.len) {
        let b = (row / p.cs) * p.cb + p.off + row % p.cs;
        let g = dx[b * p.len + gid.x - p.bs];
        let i = row * p.len + gid.x;
        if (p.has_prev == 1u) {
            out[i - p.bo] = prev[i - p.bp] + g;
        } else {
            out[i - p.bo] = g;
        }
    }
}
