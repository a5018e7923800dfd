// vec4 versions of window.wgsl's gathers for C % 4 == 0 (c4 = C / 4), bound as vec4 arrays:
// `window_tokens4` (modes 2, 3): one invocation per output token, C/4 vec4 copies.
// `window_transpose4` (modes 0, 1; H*W % 4 == 0): one invocation per 4 pixels x 4 channels,
// 4 vec4 loads, a register transpose and 4 vec4 stores (index math once per 16 elements).
// 1-D grids folded into 2-D.
struct Params { mode: u32, total: u32, c4: u32, h: u32, w: u32, win: u32, shift: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;

fn source_token(t: u32) -> u32 {
    let hw = p.h * p.w;
    let ww = p.win * p.win;
    let nwx = p.w / p.win;
    let nw = (p.h / p.win) * nwx;
    if (p.mode == 2u) {
        let tok = t % ww;
        let wi = t / ww;
        let nb = wi / nw;
        let wl = wi % nw;
        let y = ((wl / nwx) * p.win + tok / p.win + p.shift) % p.h;
        let x = ((wl % nwx) * p.win + tok % p.win + p.shift) % p.w;
        return nb * hw + y * p.w + x;
    }
    let pix = t % hw;
    let nb = t / hw;
    let ys = (pix / p.w + p.h - p.shift) % p.h;
    let xs = (pix % p.w + p.w - p.shift) % p.w;
    let wl = (ys / p.win) * nwx + xs / p.win;
    let tok = (ys % p.win) * p.win + xs % p.win;
    return (nb * nw + wl) * ww + tok;
}

@compute @workgroup_size(64)
fn window_tokens4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = gid.x + gid.y * nwg.x * 64u;
    if (t >= p.total) {
        return;
    }
    let s = source_token(t) * p.c4;
    let o = t * p.c4;
    for (var k = 0u; k < p.c4; k++) {
        out[o + k] = src[s + k];
    }
}

// total = N * (H*W / 4) * c4 blocks; block (nb, pixel quad q, channel quad g).
@compute @workgroup_size(64)
fn window_transpose4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (i >= p.total) {
        return;
    }
    let hw4 = p.h * p.w / 4u;
    let g = i % p.c4;
    let q = (i / p.c4) % hw4;
    let nb = i / (p.c4 * hw4);
    // Channel-major index (vec4 units) of channel 4g + e, pixels 4q..4q+4: (nb*C + 4g + e)*hw4 + q.
    // Token-major index of pixel 4q + e, channels 4g..4g+4: (nb*hw + 4q + e)*c4 + g.
    let cm = (nb * 4u * p.c4 + 4u * g) * hw4 + q;
    let tm = (nb * 4u * hw4 + 4u * q) * p.c4 + g;
    if (p.mode == 0u) {
        let m = transpose(mat4x4<f32>(src[cm], src[cm + hw4], src[cm + 2u * hw4], src[cm + 3u * hw4]));
        out[tm] = m[0];
        out[tm + p.c4] = m[1];
        out[tm + 2u * p.c4] = m[2];
        out[tm + 3u * p.c4] = m[3];
    } else {
        let m = transpose(mat4x4<f32>(src[tm], src[tm + p.c4], src[tm + 2u * p.c4], src[tm + 3u * p.c4]));
        out[cm] = m[0];
        out[cm + hw4] = m[1];
        out[cm + 2u * hw4] = m[2];
        out[cm + 3u * hw4] = m[3];
    }
}
