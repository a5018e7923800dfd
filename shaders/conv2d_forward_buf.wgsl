// Direct convolution on NCHW storage buffers (for adapters without subgroups): each
// invocation computes 8 output channels x 4 consecutive output pixels of one row (32
// accumulators); every loaded input value feeds up to 8 x k multiply-adds and every weight 4.
// Zero padding k/2 by bounds checks. Also the input gradient, given flipped weights.
struct Params {
    w: u32, h: u32, cin: u32, cout: u32,
    k: u32, pad: u32, cout8: u32, xoff: u32,
    ooff: u32, has_bias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn conv2d_forward_buf(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let ox0 = gid.x * 4u;
    let oy = gid.y;
    let n = wid.z / p.cout8;
    let co0 = (wid.z % p.cout8) * 8u;
    if (ox0 >= p.w || oy >= p.h) { return; }
    let kk = p.k * p.k;
    let hw = p.h * p.w;
    var acc: array<vec4<f32>, 8>;
    for (var j = 0u; j < 8u; j++) { acc[j] = vec4<f32>(0.0); }
    for (var ci = 0u; ci < p.cin; ci++) {
        let xbase = p.xoff + (n * p.cin + ci) * hw;
        for (var ky = 0u; ky < p.k; ky++) {
            let iy = i32(oy + ky) - i32(p.pad);
            if (iy < 0 || iy >= i32(p.h)) { continue; }
            var xs: array<f32, 8>;
            for (var t = 0u; t < p.k + 3u; t++) {
                let ix = i32(ox0 + t) - i32(p.pad);
                let ok = ix >= 0 && ix < i32(p.w);
                let v = x[xbase + u32(iy) * p.w + u32(clamp(ix, 0, i32(p.w) - 1))];
                xs[t] = select(0.0, v, ok);
            }
            for (var kx = 0u; kx < p.k; kx++) {
                let xv = vec4<f32>(xs[kx], xs[kx + 1u], xs[kx + 2u], xs[kx + 3u]);
                for (var j = 0u; j < 8u; j++) {
                    let co = min(co0 + j, p.cout - 1u);
                    acc[j] = fma(vec4<f32>(wt[(co * p.cin + ci) * kk + ky * p.k + kx]), xv, acc[j]);
                }
            }
        }
    }
    for (var j = 0u; j < 8u; j++) {
        let co = co0 + j;
        if (co >= p.cout) { break; }
        var b = 0.0;
        if (p.has_bias == 1u) { b = bias[co]; }
        let base = p.ooff + (n * p.cout + co) * hw + oy * p.w + ox0;
        for (var i = 0u; i < 4u; i++) {
            if (ox0 + i < p.w) { out[base + i] = acc[j][i] + b; }
        }
    }
}
