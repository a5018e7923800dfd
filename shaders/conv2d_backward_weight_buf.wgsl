// Weight gradient on NCHW storage buffers (for adapters without subgroups), deterministic:
// same work split and `partial` layout as conv2d_backward_weight_tex.wgsl (8 output x 4
// input channels at one tap per lane, summed over the lane's pixels of one slab).
struct Params {
    w: u32, h: u32, cout: u32, cin: u32,
    k: u32, pad: u32, rows: u32, slabs: u32,
    e: u32, xoff: u32, doff: u32, pad_: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;

@compute @workgroup_size(8, 1, 1)
fn conv2d_backward_weight_buf(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let lane = lid.x;
    let slab = wid.x;
    let kk = p.k * p.k;
    let q = wid.y / kk;
    let tap = wid.y % kk;
    let ky = tap / p.k;
    let kx = tap % p.k;
    let co0 = wid.z * 8u;
    let hw = p.h * p.w;
    var acc: array<vec4<f32>, 8>;
    for (var j = 0u; j < 8u; j++) { acc[j] = vec4<f32>(0.0); }
    let r0 = slab * p.rows / p.slabs;
    let r1 = (slab + 1u) * p.rows / p.slabs;
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let y = r % p.h;
        let iy = i32(y + ky) - i32(p.pad);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var x0 = lane; x0 < p.w; x0 += 8u) {
            let ix = i32(x0 + kx) - i32(p.pad);
            var v = vec4<f32>(0.0);
            if (ix >= 0 && ix < i32(p.w)) {
                for (var i = 0u; i < 4u; i++) {
                    let ci = min(q * 4u + i, p.cin - 1u);
                    v[i] = x[p.xoff + (n * p.cin + ci) * hw + u32(iy) * p.w + u32(ix)];
                }
            }
            for (var j = 0u; j < 8u; j++) {
                let co = min(co0 + j, p.cout - 1u);
                let d = dout[p.doff + (n * p.cout + co) * hw + y * p.w + x0];
                acc[j] = fma(vec4<f32>(d), v, acc[j]);
            }
        }
    }
    let base = (slab * 8u + lane) * p.e;
    for (var j = 0u; j < 8u; j++) {
        let co = co0 + j;
        for (var i = 0u; i < 4u; i++) {
            let ci = q * 4u + i;
            if (co < p.cout && ci < p.cin) {
                partial[base + (co * p.cin + ci) * kk + tap] = acc[j][i];
            }
        }
    }
}
