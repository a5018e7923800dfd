// conv2d_reduce.wgsl and conv2d_backward_bias.wgsl in one dispatch, for a backward whose batch
// is one launch: workgroups 0..ew (ew = ceil(e / 64)) sum the weight gradient's partial rows,
// dw[i] = sum over r of partial[r * e + i] in index order; the next c workgroups each sum
// dout over one channel, db[ch] = sum of dout[n, ch, :, :], each lane a fixed strided subset,
// then the same fixed-order tree. Both orders are those of the two kernels, so the results
// are bit-identical to running them one after the other. 1-D grid folded into 2-D.
struct Params { e: u32, r: u32, ew: u32, c: u32, hw: u32, n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn conv2d_reduce_bias(@builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let wg = wid.x + wid.y * nwg.x;
    if (wg < p.ew) {
        let i = wg * 64u + lid.x;
        if (i < p.e) {
            var t = 0.0;
            for (var r = 0u; r < p.r; r++) { t += partial[r * p.e + i]; }
            dw[i] = 0.0 + t;
        }
        return;
    }
    let ch = wg - p.ew;
    if (ch >= p.c) { return; }
    var s = 0.0;
    let total = p.n * p.hw;
    for (var i = lid.x; i < total; i += 64u) {
        let n = i / p.hw;
        s += dout[(n * p.c + ch) * p.hw + i % p.hw];
    }
    part[lid.x] = s;
    workgroupBarrier();
    for (var step = 32u; step > 0u; step >>= 1u) {
        if (lid.x < step) { part[lid.x] += part[lid.x + step]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        db[ch] = 0.0 + part[0];
    }
}
