// dw[i] = (accumulate ? dw[i] : 0) + sum over r of partial[r * e + i], r in index order.
struct Params { e: u32, r: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;

@compute @workgroup_size(256)
fn conv2d_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.e) { return; }
    var s = 0.0;
    if (p.accumulate == 1u) { s = dw[i]; }
    var t = 0.0;
    for (var r = 0u; r < p.r; r++) { t += partial[r * p.e + i]; }
    dw[i] = s + t;
}
