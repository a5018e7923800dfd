// rff_forward_vec4.wgsl with the weights shared through the subgroup: a workgroup is one
// subgroup of 8 lanes; per input channel lane l fetches W(d0 + l, k) and every lane takes the
// 8 weights with subgroupBroadcast at constant lanes (register shuffles). Each lane owns 8
// features x 4 consecutive positions (32 accumulators): one x vec4 and one weight load feed 32
// multiply-adds. Needs len % 4 == 0 and subgroups of at least 8 lanes.
// Grid: x = position vec4s / 8, y = feature blocks of 8, z = n.
// Split launches (tensors larger than one storage binding): samples u0 + z, out and nsin bound
// from element bo, x from bx (multiples of 4).
struct Params { d: u32, c: u32, len: u32, s: f32, u0: u32, bo: u32, bx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> nsin: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> w: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;

fn store(n: u32, d: u32, q: u32, len4: u32, z: vec4<f32>) {
    if (d < p.d && q < len4) {
        let o = (n * p.d + d) * len4 + q - p.bo / 4u;
        out[o] = p.s * cos(z);
        nsin[o] = -p.s * sin(z);
    }
}

@compute @workgroup_size(8)
fn rff_forward_sg(@builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(subgroup_invocation_id) lane: u32) {
    let n = wid.z + p.u0;
    let len4 = p.len / 4u;
    let q = wid.x * 8u + lid.x;
    // Lanes past the end still fetch (clamped) and broadcast; they store nothing.
    let qc = min(q, len4 - 1u);
    let d0 = wid.y * 8u;
    let wrow = min(d0 + lane, p.d - 1u) * p.c;
    var a0 = vec4<f32>(b[min(d0, p.d - 1u)]);
    var a1 = vec4<f32>(b[min(d0 + 1u, p.d - 1u)]);
    var a2 = vec4<f32>(b[min(d0 + 2u, p.d - 1u)]);
    var a3 = vec4<f32>(b[min(d0 + 3u, p.d - 1u)]);
    var a4 = vec4<f32>(b[min(d0 + 4u, p.d - 1u)]);
    var a5 = vec4<f32>(b[min(d0 + 5u, p.d - 1u)]);
    var a6 = vec4<f32>(b[min(d0 + 6u, p.d - 1u)]);
    var a7 = vec4<f32>(b[min(d0 + 7u, p.d - 1u)]);
    for (var k = 0u; k < p.c; k++) {
        let xv = x[(n * p.c + k) * len4 + qc - p.bx / 4u];
        let wl = w[wrow + k];
        a0 = fma(vec4<f32>(subgroupBroadcast(wl, 0u)), xv, a0);
        a1 = fma(vec4<f32>(subgroupBroadcast(wl, 1u)), xv, a1);
        a2 = fma(vec4<f32>(subgroupBroadcast(wl, 2u)), xv, a2);
        a3 = fma(vec4<f32>(subgroupBroadcast(wl, 3u)), xv, a3);
        a4 = fma(vec4<f32>(subgroupBroadcast(wl, 4u)), xv, a4);
        a5 = fma(vec4<f32>(subgroupBroadcast(wl, 5u)), xv, a5);
        a6 = fma(vec4<f32>(subgroupBroadcast(wl, 6u)), xv, a6);
        a7 = fma(vec4<f32>(subgroupBroadcast(wl, 7u)), xv, a7);
    }
    store(n, d0, q, len4, a0);
    store(n, d0 + 1u, q, len4, a1);
    store(n, d0 + 2u, q, len4, a2);
    store(n, d0 + 3u, q, len4, a3);
    store(n, d0 + 4u, q, len4, a4);
    store(n, d0 + 5u, q, len4, a5);
    store(n, d0 + 6u, q, len4, a6);
    store(n, d0 + 7u, q, len4, a7);
}
