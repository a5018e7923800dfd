// Channel-slice copies between [N, Cs, HW] and [N, Cb, HW] at channel offset `off`:
// concat_insert: big[n, off + c, q] = small[n, c, q] (out = big, src = small; the rest of big
//   is left as is: concat writes every slice, split's backward starts from zeros);
// concat_extract: small[n, c, q] = big[n, off + c, q] (out = small, src = big).
// One lane per element of the small tensor.
struct Params { n: u32, cs: u32, cb: u32, off: u32, len: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn big_index(i: u32) -> u32 {
    let q = i % p.len;
    let c = (i / p.len) % p.cs;
    let n = i / (p.len * p.cs);
    return (n * p.cb + p.off + c) * p.len + q;
}

@compute @workgroup_size(256)
fn concat_insert(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n * p.cs * p.len) {
        out[big_index(i)] = src[i];
    }
}

@compute @workgroup_size(256)
fn concat_extract(@builtin(global_invocation_id) gid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n * p.cs * p.len) {
        out[i] = src[big_index(i)];
    }
}
