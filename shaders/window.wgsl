// Token layouts for the Swin blocks, as gathers (out[i] = src[index(i)]), one element per
// invocation on a 1-D grid folded into 2-D. Each mode's backward is the inverse mode:
//   0 nchw_to_tokens  [N, C, H, W] -> [N, H*W, C]
//   1 tokens_to_nchw  [N, H*W, C] -> [N, C, H, W]
//   2 window_partition [N, H*W, C] -> [N*nW, win*win, C], after rolling H and W by -shift
//   3 window_reverse   [N*nW, win*win, C] -> [N, H*W, C], then rolling by +shift
struct Params { mode: u32, total: u32, c: u32, h: u32, w: u32, win: u32, shift: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn source(i: u32) -> u32 {
    let hw = p.h * p.w;
    let ww = p.win * p.win;
    let nwx = p.w / p.win;
    let nw = (p.h / p.win) * nwx;
    let c = i % p.c;
    switch p.mode {
        case 0u: {
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
        case 2u: {
            let tok = (i / p.c) % ww;
            let wi = i / (p.c * ww);
            let nb = wi / nw;
            let wl = wi % nw;
            let y = ((wl / nwx) * p.win + tok / p.win + p.shift) % p.h;
            let x = ((wl % nwx) * p.win + tok % p.win + p.shift) % p.w;
            return (nb * hw + y * p.w + x) * p.c + c;
        }
        default: {
            let pix = (i / p.c) % hw;
            let nb = i / (p.c * hw);
            let ys = (pix / p.w + p.h - p.shift) % p.h;
            let xs = (pix % p.w + p.w - p.shift) % p.w;
            let wl = (ys / p.win) * nwx + xs / p.win;
            let tok = (ys % p.win) * p.win + xs % p.win;
            return ((nb * nw + wl) * ww + tok) * p.c + c;
        }
    }
}

@compute @workgroup_size(256)
fn window_permute(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.total) {
        out[i] = src[source(i)];
    }
}
