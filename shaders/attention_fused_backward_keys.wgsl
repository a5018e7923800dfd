// Fused window attention backward, key side: per (window, head), each lane owns 4 consecutive
// keys (j = 32 wid.x + 4 lane + c) and walks the queries in blocks of 8:
//   dv_j = sum_i P_ij dout_i,  dk_j = scale sum_i dS_ij q_i,
// with P and dS read as vec4 (the lane's 4 keys) from attention_fused_backward_rows.wgsl's
// output, and q, dout rows fetched one texel per lane and shared by subgroupBroadcast.
// Accumulators a[t][e] = the 4 keys at head_dim d = 4t + e. DT = texels of head_dim.
override DT: u32 = 8u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, rpl: u32, scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> ds: array<vec4<f32>>;
@group(0) @binding(4) var tq: texture_2d_array<f32>;
@group(0) @binding(5) var td: texture_2d_array<f32>;

fn pv(o: mat4x4<f32>, pj: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(fma(pj, vec4<f32>(v.x), o[0]), fma(pj, vec4<f32>(v.y), o[1]),
                       fma(pj, vec4<f32>(v.z), o[2]), fma(pj, vec4<f32>(v.w), o[3]));
}

@compute @workgroup_size(8)
fn attention_fused_backward_keys(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                                 @builtin(subgroup_invocation_id) lane: u32) {
    let g = wid.y + wid.z * nwg.y;
    if (g >= p.groups) {
        return;
    }
    let head = g % p.heads;
    let window = g / p.heads;
    let layer = (window * p.n) / p.rpl;
    let y0 = (window * p.n) % p.rpl;
    let xq = head * DT;
    let nq = p.n / 4u;
    let jq = wid.x * 8u + lane;
    let valid = jq < nq;
    let jqc = min(jq, nq - 1u);
    var dv: array<mat4x4<f32>, 8>;
    var dk: array<mat4x4<f32>, 8>;
    for (var t = 0u; t < DT; t++) {
        dv[t] = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
        dk[t] = dv[t];
    }
    for (var i0 = 0u; i0 < p.n; i0 += 8u) {
        let il = min(i0 + lane, p.n - 1u);
        // P and dS rows i0 .. i0+7 at the lane's keys (zero past n; n % 4 == 0, so only
        // the second half of the last block can lie past it).
        let at = (g * p.n + i0) * nq + jqc;
        let more = i0 + 8u <= p.n;
        let p0 = probs[at];
        let p1 = probs[at + nq];
        let p2 = probs[at + 2u * nq];
        let p3 = probs[at + 3u * nq];
        var p4 = vec4<f32>(0.0);
        var p5 = vec4<f32>(0.0);
        var p6 = vec4<f32>(0.0);
        var p7 = vec4<f32>(0.0);
        let d0 = ds[at];
        let d1 = ds[at + nq];
        let d2 = ds[at + 2u * nq];
        let d3 = ds[at + 3u * nq];
        var d4 = vec4<f32>(0.0);
        var d5 = vec4<f32>(0.0);
        var d6 = vec4<f32>(0.0);
        var d7 = vec4<f32>(0.0);
        if (more) {
            p4 = probs[at + 4u * nq];
            p5 = probs[at + 5u * nq];
            p6 = probs[at + 6u * nq];
            p7 = probs[at + 7u * nq];
            d4 = ds[at + 4u * nq];
            d5 = ds[at + 5u * nq];
            d6 = ds[at + 6u * nq];
            d7 = ds[at + 7u * nq];
        }
        for (var t = 0u; t < DT; t++) {
            let qt = textureLoad(tq, vec2<u32>(xq + t, y0 + il), layer, 0);
            let ot = textureLoad(td, vec2<u32>(xq + t, y0 + il), layer, 0);
            var a = dv[t];
            a = pv(a, p0, subgroupBroadcast(ot, 0u));
            a = pv(a, p1, subgroupBroadcast(ot, 1u));
            a = pv(a, p2, subgroupBroadcast(ot, 2u));
            a = pv(a, p3, subgroupBroadcast(ot, 3u));
            a = pv(a, p4, subgroupBroadcast(ot, 4u));
            a = pv(a, p5, subgroupBroadcast(ot, 5u));
            a = pv(a, p6, subgroupBroadcast(ot, 6u));
            a = pv(a, p7, subgroupBroadcast(ot, 7u));
            dv[t] = a;
            var b = dk[t];
            b = pv(b, d0, subgroupBroadcast(qt, 0u));
            b = pv(b, d1, subgroupBroadcast(qt, 1u));
            b = pv(b, d2, subgroupBroadcast(qt, 2u));
            b = pv(b, d3, subgroupBroadcast(qt, 3u));
            b = pv(b, d4, subgroupBroadcast(qt, 4u));
            b = pv(b, d5, subgroupBroadcast(qt, 5u));
            b = pv(b, d6, subgroupBroadcast(qt, 6u));
            b = pv(b, d7, subgroupBroadcast(qt, 7u));
            dk[t] = b;
        }
    }
    if (!valid) {
        return;
    }
    for (var c = 0u; c < 4u; c++) {
        let base = (window * p.n + 4u * jq + c) * 3u * p.c + head * p.hd;
        for (var t = 0u; t < DT; t++) {
            for (var e = 0u; e < 4u; e++) {
                let d = 4u * t + e;
                if (d < p.hd) {
                    dqkv[base + p.c + d] = dk[t][e][c] * p.scale;
                    dqkv[base + 2u * p.c + d] = dv[t][e][c];
                }
            }
        }
    }
}
