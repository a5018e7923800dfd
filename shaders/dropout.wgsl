// Channel dropout (Dropout2d): out[n, c, q] = src[n, c, q] * (keep(n, c) ? scale : 0), where
// keep(n, c) = hash(seed, n, c) >= threshold, a counter-based PCG hash (no state, no buffer):
// the same (seed, n, c) gives the same mask on every run and in the backward. The host
// mirror is `ops::dropout::reference::keep`.
// Rows are (n, c) of len positions, or with fold > 1 (a channel larger than one storage
// binding) fold rows of len per channel. Split launches: rows u0..u1 only, out and src bound
// from elements bo / bs.
struct Params { n: u32, c: u32, len: u32, seed_lo: u32, seed_hi: u32, threshold: u32, scale: f32,
                fold: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// Grid: x = positions / 64, y (+ z folded) = blocks of 4 rows (n, c): the hash is per workgroup row.
@compute @workgroup_size(64, 4)
fn dropout_apply(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    if (row >= p.u1 || gid.x >= p.len) {
        return;
    }
    let nc = row / p.fold;
    let h = pcg(pcg(pcg(pcg(p.seed_lo) ^ p.seed_hi) ^ (nc / p.c)) ^ (nc % p.c));
    var f = 0.0;
    if (h >= p.threshold) {
        f = p.scale;
    }
    let i = row * p.len + gid.x;
    out[i - p.bo] = src[i - p.bs] * f;
}
