// conv2d_reduce.wgsl for two outputs in one dispatch (the weight and the bias gradient of
// conv2d_backward_weight_small.wgsl, which writes a partial row of each per slab):
// dw[i] = (accumulate ? dw[i] : 0) + sum over r < r1 of p1[r * e1 + i], and likewise db from
// p2 (r2 rows of e2), each sum in row order: bit-identical to two conv2d_reduce dispatches.
// Lanes 0 .. e1 - 1 sum dw, lanes e1 .. e1 + e2 - 1 sum db.
struct Params { e1: u32, r1: u32, e2: u32, r2: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> p1: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;
@group(0) @binding(4) var<storage, read> p2: array<f32>;

@compute @workgroup_size(256)
fn conv2d_reduce2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.e1) {
        var s = 0.0;
        if (p.accumulate == 1u) { s = dw[i]; }
        var t = 0.0;
        for (var r = 0u; r < p.r1; r++) { t += p1[r * p.e1 + i]; }
        dw[i] = s + t;
    } else if (i < p.e1 + p.e2) {
        let j = i - p.e1;
        var s = 0.0;
        if (p.accumulate == 1u) { s = db[j]; }
        var t = 0.0;
        for (var r = 0u; r < p.r2; r++) { t += p2[r * p.e2 + j]; }
        db[j] = s + t;
    }
}
