// conv2d_reduce_bias.wgsl for planes whose size (h w) is a multiple of 4, with the bias sums
// first: workgroups 0..c each sum dout over one channel, db[ch] = sum of dout[n, ch, :, :],
// read as vec4s item by item (lane l sums texels l, l + 64, ... of each plane in item order,
// no integer division per element; conv2d_backward_bias4.wgsl's order), then the same
// fixed-order tree; workgroups c..c + ew sum the weight gradient's partial rows,
// dw[i] = sum over r of partial[r * e + i] in index order (conv2d_reduce.wgsl's order).
// The few long bias workgroups come first so that the many short ones fill in behind them
// (lavapipe hands workgroups to its threads in order). Bit-identical run to run.
// 1-D grid folded into 2-D.
// hw: a plane's texels (h w / 4; the Params of conv2d_reduce_bias.wgsl, one launcher).
struct Params { e: u32, r: u32, ew: u32, c: u32, hw: u32, n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<vec4<f32>>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn conv2d_reduce_bias4(@builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
    let wg = wid.x + wid.y * nwg.x;
    if (wg >= p.c) {
        let i = (wg - p.c) * 64u + lid.x;
        if (wg - p.c < p.ew && i < p.e) {
            var t = 0.0;
            for (var r = 0u; r < p.r; r++) { t += partial[r * p.e + i]; }
            dw[i] = 0.0 + t;
        }
        return;
    }
    let ch = wg;
    var s = vec4<f32>(0.0);
    for (var n = 0u; n < p.n; n++) {
        let base = (n * p.c + ch) * p.hw;
        for (var i = lid.x; i < p.hw; i += 64u) {
            s += dout[base + i];
        }
    }
    part[lid.x] = (s.x + s.y) + (s.z + s.w);
    workgroupBarrier();
    for (var step = 32u; step > 0u; step >>= 1u) {
        if (lid.x < step) { part[lid.x] += part[lid.x + step]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        db[ch] = 0.0 + part[0];
    }
}
