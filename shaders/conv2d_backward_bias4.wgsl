// conv2d_backward_bias.wgsl for planes whose size (h w) and offset are multiples of 4:
// db[c] = (accumulate ? db[c] : 0) + sum of dout[n, c, :, :] over the batch items of one
// chunk, read as vec4s (on lavapipe each storage-buffer load is a per-lane loop, so 4 floats
// per load instead of 1), item by item with no integer division per element (the scalar
// kernel's i / hw and i % hw run lane by lane). One workgroup per channel; lane l sums texels
// l, l + 64, ... of each plane in item order, then a fixed-order tree reduction in workgroup
// memory: bit-identical run to run.
struct Params { c: u32, hw4: u32, nb: u32, off4: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<vec4<f32>>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn conv2d_backward_bias4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = wid.x;
    var s = vec4<f32>(0.0);
    for (var n = 0u; n < p.nb; n++) {
        let base = p.off4 + (n * p.c + c) * p.hw4;
        for (var i = lid.x; i < p.hw4; i += 64u) {
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
        var b = 0.0;
        if (p.accumulate == 1u) { b = db[c]; }
        db[c] = b + part[0];
    }
}
