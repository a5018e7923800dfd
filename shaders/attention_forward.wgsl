// Window attention forward, one workgroup per (window, head), one lane per query row i:
// out_i = sum_j P_ij v_j with P = softmax_j(scale q_i.k_j + table[rel(i, j)] + mask(i, j)).
// k and v of the window/head are staged in workgroup memory (every lane reads the same
// element at a time); each lane keeps its row of scores and its hd outputs in registers.
// Saves P [windows, heads, n, n] for the backward. The mask (shift > 0) is SwinIR's: -100
// between tokens from different regions of the 3x3 split [0,h-win), [h-win,h-shift), [h-shift,h).
struct Params { n: u32, c: u32, heads: u32, hd: u32, win: u32, shift: u32, h: u32, w: u32, groups: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<f32>;

var<workgroup> ks: array<f32, 2048>;
var<workgroup> vs: array<f32, 2048>;

fn region(y: u32, size: u32) -> u32 {
    if (y < size - p.win) { return 0u; }
    if (y < size - p.shift) { return 1u; }
    return 2u;
}

// Bias of pair (i, j) in window `wl` (index within its image): table + shift mask.
fn bias(i: u32, j: u32, wl: u32, head: u32) -> f32 {
    let yi = i / p.win; let xi = i % p.win;
    let yj = j / p.win; let xj = j % p.win;
    let idx = (yi + p.win - 1u - yj) * (2u * p.win - 1u) + (xi + p.win - 1u - xj);
    var b = table[idx * p.heads + head];
    if (p.shift > 0u) {
        let nwx = p.w / p.win;
        let oy = (wl / nwx) * p.win;
        let ox = (wl % nwx) * p.win;
        let li = region(oy + yi, p.h) * 3u + region(ox + xi, p.w);
        let lj = region(oy + yj, p.h) * 3u + region(ox + xj, p.w);
        if (li != lj) { b -= 100.0; }
    }
    return b;
}

@compute @workgroup_size(64)
fn attention_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.groups) {
        return;
    }
    let window = g / p.heads;
    let head = g % p.heads;
    let c3 = 3u * p.c;
    let row0 = window * p.n;
    for (var e = lid; e < p.n * p.hd; e += 64u) {
        let src = (row0 + e / p.hd) * c3 + head * p.hd + e % p.hd;
        ks[e] = qkv[src + p.c];
        vs[e] = qkv[src + 2u * p.c];
    }
    workgroupBarrier();
    let i = lid;
    if (i >= p.n) {
        return;
    }
    let nw = (p.h / p.win) * (p.w / p.win);
    let wl = window % nw;
    var q: array<f32, 64>;
    let qbase = (row0 + i) * c3 + head * p.hd;
    for (var d = 0u; d < p.hd; d++) {
        q[d] = qkv[qbase + d] * p.scale;
    }
    var s: array<f32, 64>;
    var mx = -3.0e38;
    for (var j = 0u; j < p.n; j++) {
        var acc = bias(i, j, wl, head);
        for (var d = 0u; d < p.hd; d++) {
            acc = fma(q[d], ks[j * p.hd + d], acc);
        }
        s[j] = acc;
        mx = max(mx, acc);
    }
    var sum = 0.0;
    for (var j = 0u; j < p.n; j++) {
        let e = exp(s[j] - mx);
        s[j] = e;
        sum += e;
    }
    let inv = 1.0 / sum;
    let pbase = (g * p.n + i) * p.n;
    for (var j = 0u; j < p.n; j++) {
        s[j] *= inv;
        probs[pbase + j] = s[j];
    }
    let obase = (row0 + i) * p.c + head * p.hd;
    for (var d = 0u; d < p.hd; d++) {
        var acc = 0.0;
        for (var j = 0u; j < p.n; j++) {
            acc = fma(s[j], vs[j * p.hd + d], acc);
        }
        out[obase + d] = acc;
    }
}
