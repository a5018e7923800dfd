// Weight gradient of the general convolution (conv2d_general_forward.wgsl): one dw element per
// lane, summing over the batch and the output positions in a fixed order (deterministic):
// dw[co, ci, ky, kx] = sum_{n, oy, ox} dout[n, co, oy, ox] x[n, ci, oy s - pad + ky, ox s - pad + kx].
struct Params { n: u32, cin: u32, h: u32, w: u32, cout: u32, k: u32, stride: u32, pad: u32,
                ho: u32, wo: u32, total: u32, has_bias: u32 } // has_bias: unused by the gradients (one struct for the family)
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;

@compute @workgroup_size(64)
fn conv2d_general_backward_weight(@builtin(local_invocation_index) l: u32,
                                  @builtin(workgroup_id) wid: vec3<u32>,
                                  @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let kx = i % p.k;
    let ky = (i / p.k) % p.k;
    let ci = (i / (p.k * p.k)) % p.cin;
    let co = i / (p.k * p.k * p.cin);
    var s = 0.0;
    for (var nb = 0u; nb < p.n; nb++) {
        let xb = (nb * p.cin + ci) * p.h;
        let db = (nb * p.cout + co) * p.ho;
        for (var oy = 0u; oy < p.ho; oy++) {
            let iy = i32(oy * p.stride + ky) - i32(p.pad);
            if (iy < 0 || iy >= i32(p.h)) {
                continue;
            }
            let xr = (xb + u32(iy)) * p.w;
            let dr = (db + oy) * p.wo;
            for (var ox = 0u; ox < p.wo; ox++) {
                let ix = i32(ox * p.stride + kx) - i32(p.pad);
                if (ix >= 0 && ix < i32(p.w)) {
                    s = fma(dout[dr + ox], x[xr + u32(ix)], s);
                }
            }
        }
    }
    dw[i] = s;
}
