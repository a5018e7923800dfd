// General 2-D convolution forward on NCHW storage buffers: any square kernel k, stride s, zero
// padding `pad` (AlexNet's 11x11 stride 4 pad 2).
// out[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} w[co, ci, ky, kx] x[n, ci, oy s - pad + ky, ox s - pad + kx]
// (terms outside the image are zero). `bias` is a 1-element placeholder when has_bias is 0.
// Each lane computes 8 output channels x 4 neighbouring output columns of one row: 12 storage
// loads feed 32 FMAs (on lavapipe every storage load is a per-lane loop, so loads per FMA set
// the speed: 5.3x fewer than one output per lane). Lanes index (n, channel block, oy, column
// block), column blocks fastest; grid folded into 2-D (index = (wid.x + wid.y * nwg.x) * 64 + lane).
// Channels past Cout read clamped weights and are not stored; columns past Wo likewise.
struct Params { n: u32, cin: u32, h: u32, w: u32, cout: u32, k: u32, stride: u32, pad: u32,
                ho: u32, wo: u32, total: u32, has_bias: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn bias_of(co: u32) -> f32 {
    if (p.has_bias == 0u) {
        return 0.0;
    }
    return bias[min(co, p.cout - 1u)];
}

// Weight (co, ci, ky, kx) with wi = (ci * k + ky) * k + kx.
fn wrow(co: u32, wi: u32) -> u32 {
    return min(co, p.cout - 1u) * p.cin * p.k * p.k + wi;
}

// Output channel co at columns ox0.. of the row starting at `base` (channel 0).
fn store(co: u32, base: u32, ox0: u32, a: vec4<f32>) {
    if (co >= p.cout) {
        return;
    }
    let o = base + co * p.ho * p.wo;
    out[o] = a.x;
    if (ox0 + 1u < p.wo) {
        out[o + 1u] = a.y;
    }
    if (ox0 + 2u < p.wo) {
        out[o + 2u] = a.z;
    }
    if (ox0 + 3u < p.wo) {
        out[o + 3u] = a.w;
    }
}

@compute @workgroup_size(64)
fn conv2d_general_forward(@builtin(local_invocation_index) l: u32,
                          @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let wb = (p.wo + 3u) / 4u;
    let cb = (p.cout + 7u) / 8u;
    let ox0 = (i % wb) * 4u;
    let oy = (i / wb) % p.ho;
    let co0 = ((i / (wb * p.ho)) % cb) * 8u;
    let nb = i / (wb * p.ho * cb);
    var a0 = vec4<f32>(bias_of(co0 + 0u));
    var a1 = vec4<f32>(bias_of(co0 + 1u));
    var a2 = vec4<f32>(bias_of(co0 + 2u));
    var a3 = vec4<f32>(bias_of(co0 + 3u));
    var a4 = vec4<f32>(bias_of(co0 + 4u));
    var a5 = vec4<f32>(bias_of(co0 + 5u));
    var a6 = vec4<f32>(bias_of(co0 + 6u));
    var a7 = vec4<f32>(bias_of(co0 + 7u));
    let iy0 = i32(oy * p.stride) - i32(p.pad);
    // Input columns of the 4 outputs for kx = 0.
    let ix0 = vec4<i32>(vec4<u32>(ox0, ox0 + 1u, ox0 + 2u, ox0 + 3u) * p.stride) - i32(p.pad);
    let wmax = i32(p.w) - 1;
    // The kernel rows inside the image (the row is shared by the 4 outputs).
    let ky0 = u32(max(-iy0, 0));
    let ky1 = u32(clamp(i32(p.h) - iy0, 0, i32(p.k)));
    for (var ci = 0u; ci < p.cin; ci++) {
        for (var ky = ky0; ky < ky1; ky++) {
            let xr = ((nb * p.cin + ci) * p.h + u32(iy0 + i32(ky))) * p.w;
            for (var kx = 0u; kx < p.k; kx++) {
                let ix = ix0 + i32(kx);
                let inside = (ix >= vec4<i32>(0)) & (ix <= vec4<i32>(wmax));
                let c = vec4<u32>(clamp(ix, vec4<i32>(0), vec4<i32>(wmax)));
                let xv = select(vec4<f32>(0.0),
                                vec4<f32>(x[xr + c.x], x[xr + c.y], x[xr + c.z], x[xr + c.w]),
                                inside);
                let wi = (ci * p.k + ky) * p.k + kx;
                let w0 = wt[wrow(co0 + 0u, wi)];
                let w1 = wt[wrow(co0 + 1u, wi)];
                let w2 = wt[wrow(co0 + 2u, wi)];
                let w3 = wt[wrow(co0 + 3u, wi)];
                let w4 = wt[wrow(co0 + 4u, wi)];
                let w5 = wt[wrow(co0 + 5u, wi)];
                let w6 = wt[wrow(co0 + 6u, wi)];
                let w7 = wt[wrow(co0 + 7u, wi)];
                a0 = fma(vec4<f32>(w0), xv, a0);
                a1 = fma(vec4<f32>(w1), xv, a1);
                a2 = fma(vec4<f32>(w2), xv, a2);
                a3 = fma(vec4<f32>(w3), xv, a3);
                a4 = fma(vec4<f32>(w4), xv, a4);
                a5 = fma(vec4<f32>(w5), xv, a5);
                a6 = fma(vec4<f32>(w6), xv, a6);
                a7 = fma(vec4<f32>(w7), xv, a7);
            }
        }
    }
    let base = (nb * p.cout * p.ho + oy) * p.wo + ox0;
    store(co0 + 0u, base, ox0, a0);
    store(co0 + 1u, base, ox0, a1);
    store(co0 + 2u, base, ox0, a2);
    store(co0 + 3u, base, ox0, a3);
    store(co0 + 4u, base, ox0, a4);
    store(co0 + 5u, base, ox0, a5);
    store(co0 + 6u, base, ox0, a6);
    store(co0 + 7u, base, ox0, a7);
}
