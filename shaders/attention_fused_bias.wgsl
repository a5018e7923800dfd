// The additive term of the fused attention scores, table[rel(i, j)] + mask(i, j), as an
// rgba32float texture array: texel (j / 4, i, type * heads + head) holds keys j .. j+3.
// `type` is the window's place in the shifted map (bit 1: last window row, bit 0: last window
// column); only those windows mix SwinIR's regions [0,h-win), [h-win,h-shift), [h-shift,h),
// so 4 types cover every window (1 type, no mask, when shift = 0). Needs n % 4 == 0.
struct Params { n: u32, heads: u32, win: u32, shift: u32, types: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dst: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(2) var<storage, read> table: array<f32>;

// The region label of local token coordinate c along an axis of a window that is (last) the
// last one along it: 0 inside the map, 1 or 2 in the last window (split at win - shift).
fn region(c: u32, last: bool) -> u32 {
    if (!last) { return 0u; }
    if (c < p.win - p.shift) { return 1u; }
    return 2u;
}

@compute @workgroup_size(8, 8)
fn attention_fused_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    let jq = gid.x;
    let i = gid.y;
    let layer = gid.z;
    if (4u * jq >= p.n || i >= p.n || layer >= p.types * p.heads) {
        return;
    }
    let head = layer % p.heads;
    let ty = layer / p.heads;
    let last_y = (ty & 2u) != 0u;
    let last_x = (ty & 1u) != 0u;
    let span = 2u * p.win - 1u;
    let yi = i / p.win;
    let xi = i % p.win;
    let li = region(yi, last_y) * 3u + region(xi, last_x);
    var v = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) {
        let j = 4u * jq + e;
        let yj = j / p.win;
        let xj = j % p.win;
        let idx = (yi + p.win - 1u - yj) * span + (xi + p.win - 1u - xj);
        var b = table[idx * p.heads + head];
        if (p.shift > 0u && region(yj, last_y) * 3u + region(xj, last_x) != li) {
            b -= 100.0;
        }
        v[e] = b;
    }
    textureStore(dst, vec2<u32>(jq, i), layer, v);
}
