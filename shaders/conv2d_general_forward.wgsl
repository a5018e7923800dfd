// General 2-D convolution forward on NCHW storage buffers: any square kernel k, stride s, zero
// padding `pad` (AlexNet's 11x11 stride 4 pad 2). One output element per lane, in the order of
// `out` (n, co, oy, ox); grid folded into 2-D (index = (wid.x + wid.y * nwg.x) * 64 + lane).
// out[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} w[co, ci, ky, kx] x[n, ci, oy s - pad + ky, ox s - pad + kx]
// (terms outside the image are zero). `bias` is a 1-element placeholder when has_bias is 0.
struct Params { n: u32, cin: u32, h: u32, w: u32, cout: u32, k: u32, stride: u32, pad: u32,
                ho: u32, wo: u32, total: u32, has_bias: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(64)
fn conv2d_general_forward(@builtin(local_invocation_index) l: u32,
                          @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let ox = i % p.wo;
    let oy = (i / p.wo) % p.ho;
    let co = (i / (p.wo * p.ho)) % p.cout;
    let nb = i / (p.wo * p.ho * p.cout);
    var s = 0.0;
    if (p.has_bias != 0u) {
        s = bias[co];
    }
    let iy0 = i32(oy * p.stride) - i32(p.pad);
    let ix0 = i32(ox * p.stride) - i32(p.pad);
    // The kernel window clipped to the image, so the inner loop has no bounds tests.
    let ky0 = u32(max(-iy0, 0));
    let ky1 = u32(clamp(i32(p.h) - iy0, 0, i32(p.k)));
    let kx0 = u32(max(-ix0, 0));
    let kx1 = u32(clamp(i32(p.w) - ix0, 0, i32(p.k)));
    let kk = p.k * p.k;
    for (var ci = 0u; ci < p.cin; ci++) {
        let xb = (nb * p.cin + ci) * p.h;
        let wb = (co * p.cin + ci) * kk;
        for (var ky = ky0; ky < ky1; ky++) {
            let xr = (xb + u32(iy0 + i32(ky))) * p.w;
            let wr = wb + ky * p.k;
            for (var kx = kx0; kx < kx1; kx++) {
                s = fma(x[xr + u32(ix0 + i32(kx))], wt[wr + kx], s);
            }
        }
    }
    out[i] = s;
}
