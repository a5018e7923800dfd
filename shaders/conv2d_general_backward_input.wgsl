// Input gradient of the general convolution (conv2d_general_forward.wgsl), a gather with one dx
// element per lane (no atomics, deterministic):
// dx[n, ci, iy, ix] = sum over co, ky, kx with oy = (iy + pad - ky) / s and ox = (ix + pad - kx) / s
// whole and inside the output of dout[n, co, oy, ox] w[co, ci, ky, kx].
struct Params { n: u32, cin: u32, h: u32, w: u32, cout: u32, k: u32, stride: u32, pad: u32,
                ho: u32, wo: u32, total: u32, has_bias: u32 } // has_bias: unused by the gradients (one struct for the family)
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;

@compute @workgroup_size(64)
fn conv2d_general_backward_input(@builtin(local_invocation_index) l: u32,
                                 @builtin(workgroup_id) wid: vec3<u32>,
                                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let ci = (i / (p.w * p.h)) % p.cin;
    let nb = i / (p.w * p.h * p.cin);
    let kk = p.k * p.k;
    var s = 0.0;
    // Only kernel offsets with (i + pad - kernel offset) a multiple of the stride reach an
    // output: start at that residue and step by the stride.
    for (var ky = (iy + p.pad) % p.stride; ky < p.k; ky += p.stride) {
        if (iy + p.pad < ky) {
            break;
        }
        let oy = (iy + p.pad - ky) / p.stride;
        if (oy >= p.ho) {
            continue;
        }
        for (var kx = (ix + p.pad) % p.stride; kx < p.k; kx += p.stride) {
            if (ix + p.pad < kx) {
                break;
            }
            let ox = (ix + p.pad - kx) / p.stride;
            if (ox >= p.wo) {
                continue;
            }
            for (var co = 0u; co < p.cout; co++) {
                let d = dout[((nb * p.cout + co) * p.ho + oy) * p.wo + ox];
                s = fma(d, wt[(co * p.cin + ci) * kk + ky * p.k + kx], s);
            }
        }
    }
    dx[i] = s;
}
