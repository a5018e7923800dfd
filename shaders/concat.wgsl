// Channel-slice copies between [N, Cs, HW] and [N, Cb, HW] at channel offset `off`:
// concat_insert: big[n, off + c, q] = small[n, c, q] (out = big, src = small; the rest of big
//   is left as is: concat writes every slice, split's backward starts from zeros);
// concat_extract: small[n, c, q] = big[n, off + c, q] (out = small, src = big).
// Grid: x = positions / 64, y (+ z folded) = blocks of 4 rows (n, c) of the small tensor, so a lane does no
// integer division (scalarised per lane on CPU adapters).
// Split launches (tensors larger than one storage binding): rows u0..u1 only, and out / src
// bound from elements bo / bs.
struct Params { n: u32, cs: u32, cb: u32, off: u32, len: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

// Row (n, off + c) of the big tensor for row (n, c) of the small one.
fn big_row(row: u32) -> u32 {
    return (row / p.cs) * p.cb + p.off + row % p.cs;
}

@compute @workgroup_size(64, 4)
fn concat_insert(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row < p.u1 && gid.x < p.len) {
        out[big_row(row) * p.len + gid.x - p.bo] = src[row * p.len + gid.x - p.bs];
    }
}

@compute @workgroup_size(64, 4)
fn concat_extract(@builtin(global_invocation_id) gid: vec3<u32>,
                  @builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row < p.u1 && gid.x < p.len) {
        out[row * p.len + gid.x - p.bo] = src[big_row(row) * p.len + gid.x - p.bs];
    }
}
