// db[c] = (accumulate ? db[c] : 0) + sum of dout[n, c, :, :] over the batch items of one
// chunk. One workgroup per channel; each lane sums a fixed strided subset, then a fixed-order
// tree reduction in workgroup memory: bit-identical run to run.
struct Params { c: u32, hw: u32, nb: u32, off: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn conv2d_backward_bias(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = wid.x;
    var s = 0.0;
    let total = p.nb * p.hw;
    for (var i = lid.x; i < total; i += 64u) {
        let n = i / p.hw;
        s += dout[p.off + (n * p.c + c) * p.hw + i % p.hw];
    }
    part[lid.x] = s;
    workgroupBarrier();
    for (var step = 32u; step > 0u; step >>= 1u) {
        if (lid.x < step) { part[lid.x] += part[lid.x + step]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        var b = 0.0;
        if (p.accumulate == 1u) { b = db[c]; }
        db[c] = b + part[0];
    }
}
