// Weights w [Cout, Cin, k, k] -> rgba32float texture: texel (o, q * k*k + tap) holds
// w'[o][4q..4q+3][tap] (zero past the edges), where w' = w for the forward and, for the
// input gradient (flip = 1), w'[o][i][tap] = w[i][o][k*k - 1 - tap] (transposed, rotated 180).
struct Params {
    cout: u32, cin: u32, kk: u32, flip: u32,
    tw: u32, th: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var t: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(8, 8, 1)
fn conv2d_pack_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tw || gid.y >= p.th) { return; }
    let o = gid.x;
    let q = gid.y / p.kk;
    let tap = gid.y % p.kk;
    // Output / input channel counts of w' (swapped when flipped).
    let no = select(p.cout, p.cin, p.flip == 1u);
    let ni = select(p.cin, p.cout, p.flip == 1u);
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
        let i = q * 4u + j;
        if (o < no && i < ni) {
            if (p.flip == 1u) {
                v[j] = w[(i * p.cin + o) * p.kk + (p.kk - 1u - tap)];
            } else {
                v[j] = w[(o * p.cin + i) * p.kk + tap];
            }
        }
    }
    textureStore(t, vec2<u32>(gid.x, gid.y), v);
}
