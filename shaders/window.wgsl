// Token layouts for the Swin blocks, as gathers out[i] = src[index(i)]. Each mode's backward
// is the inverse mode:
//   0 nchw_to_tokens  [N, C, H, W] -> [N, H*W, C]
//   1 tokens_to_nchw  [N, H*W, C] -> [N, C, H, W]
//   2 window_partition [N, H*W, C] -> [N*nW, win*win, C], after rolling H and W by -shift
//   3 window_reverse   [N*nW, win*win, C] -> [N, H*W, C], then rolling by +shift
// `window_tokens` (modes 2, 3): one invocation per output token, its source token computed
// once and the C channels copied in a loop (window4.wgsl: vec4 channels for C % 4 == 0).
// `window_permute` (any mode): one element per invocation, for bindings over the storage
// limit: it covers outputs [out_lo, out_lo + total) (bound from out_lo) and writes only those
// whose source index lies in [src_lo, src_hi) (bound from src_start), so a pair of
// sub-ranges per launch covers any permutation. 1-D grids folded into 2-D.
struct Params { mode: u32, total: u32, c: u32, h: u32, w: u32, win: u32, shift: u32,
                out_lo: u32, src_lo: u32, src_hi: u32, src_start: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

// The source token of output token t (modes 2 and 3: token-major on both sides).
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

fn source(i: u32) -> u32 {
    let hw = p.h * p.w;
    switch p.mode {
        case 0u: {
            let c = i % p.c;
            let pix = (i / p.c) % hw;
            let nb = i / (p.c * hw);
            return (nb * p.c + c) * hw + pix;
        }
        case 1u: {
            let pix = i % hw;
            let ch = (i / hw) % p.c;
            let nb = i / (p.c * hw);
            return (nb * hw + pix) * p.c + ch;
        }
        default: {
            return source_token(i / p.c) * p.c + i % p.c;
        }
    }
}

@compute @workgroup_size(256)
fn window_permute(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.total) {
        let s = source(p.out_lo + i);
        if (s >= p.src_lo && s < p.src_hi) {
            out[i] = src[s - p.src_start];
        }
    }
}

@compute @workgroup_size(64)
fn window_tokens(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = gid.x + gid.y * nwg.x * 64u;
    if (t >= p.total) {
        return;
    }
    let s = source_token(t) * p.c;
    let o = t * p.c;
    for (var k = 0u; k < p.c; k++) {
        out[o + k] = src[s + k];
    }
}
