// Window attention softmax, in place on the scores S = q k^T [windows * heads, n, n] (from the
// matmul kernels): P_ij = softmax_j(scale S_ij + table[rel(i, j)] + mask(i, j)). One
// invocation per row (g, i) on a 1-D grid folded into 2-D. The mask (shift > 0) is SwinIR's:
// -100 between tokens from different regions of the split [0,h-win), [h-win,h-shift), [h-shift,h).
// Over the binding limit, launches cover rows [row0, row0 + rows) with s bound from row0.
struct Params { n: u32, heads: u32, win: u32, shift: u32, h: u32, w: u32, rows: u32, scale: f32,
                row0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;

fn region(y: u32, size: u32) -> u32 {
    if (y < size - p.win) { return 0u; }
    if (y < size - p.shift) { return 1u; }
    return 2u;
}

@compute @workgroup_size(64)
fn attention_softmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = gid.x + gid.y * nwg.x * 64u;
    if (row >= p.rows) {
        return;
    }
    let i = (p.row0 + row) % p.n;
    let g = (p.row0 + row) / p.n;
    let head = g % p.heads;
    let window = g / p.heads;
    let nwx = p.w / p.win;
    let wl = window % ((p.h / p.win) * nwx);
    let oy = (wl / nwx) * p.win;
    let ox = (wl % nwx) * p.win;
    let yi = i / p.win;
    let xi = i % p.win;
    var li = 0u;
    if (p.shift > 0u) {
        li = region(oy + yi, p.h) * 3u + region(ox + xi, p.w);
    }
    let base = row * p.n;
    let span = 2u * p.win - 1u;
    var mx = -3.0e38;
    for (var j = 0u; j < p.n; j++) {
        let yj = j / p.win;
        let xj = j % p.win;
        let idx = (yi + p.win - 1u - yj) * span + (xi + p.win - 1u - xj);
        var v = fma(s[base + j], p.scale, table[idx * p.heads + head]);
        if (p.shift > 0u && region(oy + yj, p.h) * 3u + region(ox + xj, p.w) != li) {
            v -= 100.0;
        }
        s[base + j] = v;
        mx = max(mx, v);
    }
    var sum = 0.0;
    for (var j = 0u; j < p.n; j++) {
        let e = exp(s[base + j] - mx);
        s[base + j] = e;
        sum += e;
    }
    let inv = 1.0 / sum;
    for (var j = 0u; j < p.n; j++) {
        s[base + j] *= inv;
    }
}
