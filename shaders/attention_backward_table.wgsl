// Relative-position bias table gradient from gs [heads, n, n] (dS already summed over all
// windows in a fixed order): dtable[idx, head] = sum of gs[head, i, j] over the pairs (i, j)
// with rel(i, j) = idx, visited in row order. One invocation per (idx, head).
struct Params { win: u32, heads: u32, entries: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(2) var<storage, read> gs: array<f32>;

@compute @workgroup_size(64)
fn attention_backward_table(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = gid.x;
    if (e >= p.entries) {
        return;
    }
    let idx = e / p.heads;
    let head = e % p.heads;
    let span = 2u * p.win - 1u;
    // rel = (yi - yj + win - 1) * span + (xi - xj + win - 1); oy = yi - yj + win - 1.
    let oy = idx / span;
    let ox = idx % span;
    let n = p.win * p.win;
    var acc = 0.0;
    for (var yi = 0u; yi < p.win; yi++) {
        let yj = i32(yi) + i32(p.win) - 1 - i32(oy);
        if (yj < 0 || yj >= i32(p.win)) { continue; }
        for (var xi = 0u; xi < p.win; xi++) {
            let xj = i32(xi) + i32(p.win) - 1 - i32(ox);
            if (xj < 0 || xj >= i32(p.win)) { continue; }
            let i = yi * p.win + xi;
            let j = u32(yj) * p.win + u32(xj);
            acc += gs[(head * n + i) * n + j];
        }
    }
    dtable[idx * p.heads + head] = acc;
}
