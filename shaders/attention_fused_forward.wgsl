// Fused window attention forward: per (window, head), out = softmax(scale q k^T + bias) v
// without writing the scores, plus the log-sum-exp of every score row (lse) for the backward.
// q, k, v come from the packed texture tq (attention_fused_pack.wgsl), bias + mask from tb
// (attention_fused_bias.wgsl).
// One workgroup = one subgroup of 8 lanes owns 32 query rows (lane + 8 r, r < 4) of one
// (window, head); it walks the keys in blocks of 8. Per block each lane fetches one texel of
// k (key j0 + lane) per head_dim texel and the texels of its 4 rows of q, and
// subgroupBroadcast at constant lanes hands every lane the 8 keys: the scores of the block
// are 8 vec4 (over the lane's 4 rows). Softmax is online (running max m and sum l, the output
// accumulators rescaled once per block); the value product broadcasts v the same way into
// 4 x hd accumulators (o[t][e] = the 4 rows at d = 4t + e).
// DT = texels of head_dim (head_dim <= 32). Needs subgroups of >= 8 lanes and n % 4 == 0.
override DT: u32 = 8u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, rpl: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var tq: texture_2d_array<f32>;
@group(0) @binding(4) var tb: texture_2d_array<f32>;

// acc + sum_e b[e] x[e]: b holds one key's 4 head_dim values (a broadcast), x[e] the lane's
// 4 rows at head_dim value e.
fn mac(acc: vec4<f32>, b: vec4<f32>, x: mat4x4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(b.w), x[3], fma(vec4<f32>(b.z), x[2], fma(vec4<f32>(b.y), x[1], fma(vec4<f32>(b.x), x[0], acc))));
}

// o[e] += pj * v[e] for the 4 head_dim values of one texel of key j's v.
fn pv(o: mat4x4<f32>, pj: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(fma(pj, vec4<f32>(v.x), o[0]), fma(pj, vec4<f32>(v.y), o[1]),
                       fma(pj, vec4<f32>(v.z), o[2]), fma(pj, vec4<f32>(v.w), o[3]));
}

// The window type of attention_fused_bias.wgsl.
fn window_type(window: u32) -> u32 {
    if (p.shift == 0u) { return 0u; }
    let wl = window % (p.nwx * p.nwy);
    return u32(wl / p.nwx == p.nwy - 1u) * 2u + u32(wl % p.nwx == p.nwx - 1u);
}

@compute @workgroup_size(8)
fn attention_fused_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(subgroup_invocation_id) lane: u32) {
    let g = wid.y + wid.z * nwg.y;
    if (g >= p.groups) {
        return;
    }
    let head = g % p.heads;
    let window = g / p.heads;
    let layer = (window * p.n) / p.rpl;
    let y0 = (window * p.n) % p.rpl;
    let bl = window_type(window) * p.heads + head;
    let xq = head * DT;
    let xk = (p.heads + head) * DT;
    let xv = (2u * p.heads + head) * DT;
    let i0 = wid.x * 32u + lane;
    // The lane's rows, clamped into the window (rows past n are computed, never stored).
    let r0 = min(i0, p.n - 1u);
    let r1 = min(i0 + 8u, p.n - 1u);
    let r2 = min(i0 + 16u, p.n - 1u);
    let r3 = min(i0 + 24u, p.n - 1u);
    var m = vec4<f32>(-1.0e30);
    var l = vec4<f32>(0.0);
    var o: array<mat4x4<f32>, 8>;
    for (var t = 0u; t < DT; t++) {
        o[t] = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    }
    for (var j0 = 0u; j0 < p.n; j0 += 8u) {
        let jl = min(j0 + lane, p.n - 1u);
        var s0 = vec4<f32>(0.0);
        var s1 = vec4<f32>(0.0);
        var s2 = vec4<f32>(0.0);
        var s3 = vec4<f32>(0.0);
        var s4 = vec4<f32>(0.0);
        var s5 = vec4<f32>(0.0);
        var s6 = vec4<f32>(0.0);
        var s7 = vec4<f32>(0.0);
        for (var t = 0u; t < DT; t++) {
            let kt = textureLoad(tq, vec2<u32>(xk + t, y0 + jl), layer, 0);
            let x = transpose(mat4x4<f32>(textureLoad(tq, vec2<u32>(xq + t, y0 + r0), layer, 0),
                                          textureLoad(tq, vec2<u32>(xq + t, y0 + r1), layer, 0),
                                          textureLoad(tq, vec2<u32>(xq + t, y0 + r2), layer, 0),
                                          textureLoad(tq, vec2<u32>(xq + t, y0 + r3), layer, 0)));
            s0 = mac(s0, subgroupBroadcast(kt, 0u), x);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), x);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), x);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), x);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), x);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), x);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), x);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), x);
        }
        // bias + mask: ba[e] / bb[e] = the 4 rows at key j0 + e / j0 + 4 + e.
        let qa = j0 / 4u;
        let qb = min(qa + 1u, p.n / 4u - 1u);
        let ba = transpose(mat4x4<f32>(textureLoad(tb, vec2<u32>(qa, r0), bl, 0), textureLoad(tb, vec2<u32>(qa, r1), bl, 0),
                                       textureLoad(tb, vec2<u32>(qa, r2), bl, 0), textureLoad(tb, vec2<u32>(qa, r3), bl, 0)));
        let bb = transpose(mat4x4<f32>(textureLoad(tb, vec2<u32>(qb, r0), bl, 0), textureLoad(tb, vec2<u32>(qb, r1), bl, 0),
                                       textureLoad(tb, vec2<u32>(qb, r2), bl, 0), textureLoad(tb, vec2<u32>(qb, r3), bl, 0)));
        s0 = fma(s0, vec4<f32>(p.scale), ba[0]);
        s1 = fma(s1, vec4<f32>(p.scale), ba[1]);
        s2 = fma(s2, vec4<f32>(p.scale), ba[2]);
        s3 = fma(s3, vec4<f32>(p.scale), ba[3]);
        s4 = fma(s4, vec4<f32>(p.scale), bb[0]);
        s5 = fma(s5, vec4<f32>(p.scale), bb[1]);
        s6 = fma(s6, vec4<f32>(p.scale), bb[2]);
        s7 = fma(s7, vec4<f32>(p.scale), bb[3]);
        if (j0 + 8u > p.n) {
            // n % 4 == 0: only the second half of the last block can lie past n.
            s4 = vec4<f32>(-1.0e30);
            s5 = vec4<f32>(-1.0e30);
            s6 = vec4<f32>(-1.0e30);
            s7 = vec4<f32>(-1.0e30);
        }
        let mx = max(max(max(m, s0), max(s1, s2)), max(max(s3, s4), max(max(s5, s6), s7)));
        let alpha = exp(m - mx);
        m = mx;
        s0 = exp(s0 - mx);
        s1 = exp(s1 - mx);
        s2 = exp(s2 - mx);
        s3 = exp(s3 - mx);
        s4 = exp(s4 - mx);
        s5 = exp(s5 - mx);
        s6 = exp(s6 - mx);
        s7 = exp(s7 - mx);
        l = fma(l, alpha, ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
        for (var t = 0u; t < DT; t++) {
            let vt = textureLoad(tq, vec2<u32>(xv + t, y0 + jl), layer, 0);
            var a = o[t];
            a = mat4x4<f32>(a[0] * alpha, a[1] * alpha, a[2] * alpha, a[3] * alpha);
            a = pv(a, s0, subgroupBroadcast(vt, 0u));
            a = pv(a, s1, subgroupBroadcast(vt, 1u));
            a = pv(a, s2, subgroupBroadcast(vt, 2u));
            a = pv(a, s3, subgroupBroadcast(vt, 3u));
            a = pv(a, s4, subgroupBroadcast(vt, 4u));
            a = pv(a, s5, subgroupBroadcast(vt, 5u));
            a = pv(a, s6, subgroupBroadcast(vt, 6u));
            a = pv(a, s7, subgroupBroadcast(vt, 7u));
            o[t] = a;
        }
    }
    let inv = 1.0 / l;
    let lg = m + log(l);
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + 8u * r;
        if (i < p.n) {
            lse[g * p.n + i] = lg[r];
            let base = (window * p.n + i) * p.c + head * p.hd;
            for (var t = 0u; t < DT; t++) {
                for (var e = 0u; e < 4u; e++) {
                    let d = 4u * t + e;
                    if (d < p.hd) {
                        out[base + d] = o[t][e][r] * inv[r];
                    }
                }
            }
        }
    }
}
