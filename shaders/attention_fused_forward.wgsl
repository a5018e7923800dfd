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
// The head_dim texels are written out as 8 guarded copies (`if (DT > t)`, folded when the
// pipeline is created) with named registers: with arrays indexed by a loop counter lavapipe
// keeps q and the accumulators in per-lane scratch memory, which made the kernel ~2x slower.
override DT: u32 = 8u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, obase: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var tq: texture_2d_array<f32>;
@group(0) @binding(4) var tb: texture_2d_array<f32>;

// tq (and td) hold row-major buffers as copy_buffer_to_texture copied them: linear texel i
// (elements 4i .. 4i+3) at (i % TW, (i / TW) % TH) of layer i / (TW * TH) (attention.rs
// LINEAR_TW, LINEAR_TH; powers of two, so these are shifts and masks).
const TW: u32 = 4096u;
const TH: u32 = 4096u;

fn lq(i: u32) -> vec4<f32> {
    return textureLoad(tq, vec2<u32>(i % TW, (i / TW) % TH), i / (TW * TH), 0);
}

fn lq4(i: vec4<u32>) -> mat4x4<f32> {
    return mat4x4<f32>(lq(i.x), lq(i.y), lq(i.z), lq(i.w));
}

// Elements s .. s + 3 of the 8 in lo, hi (s < 4): one texel of a head slice that starts s
// elements into a texel. Slices are read texel by texel with hi kept as the next lo.
fn align(lo: vec4<f32>, hi: vec4<f32>, s: u32) -> vec4<f32> {
    var v = select(lo, vec4<f32>(lo.yzw, hi.x), s == 1u);
    v = select(v, vec4<f32>(lo.zw, hi.xy), s == 2u);
    return select(v, vec4<f32>(lo.w, hi.xyz), s == 3u);
}

// Texel t of a head slice with the values past head_dim (the next slice's) set to 0 by a
// select (no NaN of another slice leaks in); only the last texel, t = DT - 1, can hold any.
fn cut(v: vec4<f32>, t: u32) -> vec4<f32> {
    if (t + 1u < DT) {
        return v;
    }
    return select(vec4<f32>(0.0), v, vec4<u32>(4u * t) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.hd));
}

// Texel t of 4 rows' slices (their texels lo and hi, shifts s), transposed: [e] = the 4 rows
// at head_dim value 4t + e.
fn rows4(lo: mat4x4<f32>, hi: mat4x4<f32>, s: vec4<u32>, t: u32) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(cut(align(lo[0], hi[0], s.x), t), cut(align(lo[1], hi[1], s.y), t),
                                 cut(align(lo[2], hi[2], s.z), t), cut(align(lo[3], hi[3], s.w), t)));
}

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

// out[base + 4t + e] = o[e][r] * inv for the head_dim values d = 4t + e < hd.
fn store(base: u32, t: u32, o: mat4x4<f32>, r: u32, inv: f32) {
    for (var e = 0u; e < 4u; e++) {
        if (4u * t + e < p.hd) {
            out[base + 4u * t + e] = o[e][r] * inv;
        }
    }
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
    let row0 = window * p.n;
    let st = 3u * p.c;
    let bl = window_type(window) * p.heads + head;
    let xq = head * p.hd;
    let xk = p.c + xq;
    let xv = 2u * p.c + xq;
    let i0 = wid.x * 32u + lane;
    // The lane's rows, clamped into the window (rows past n are computed, never stored).
    let r0 = min(i0, p.n - 1u);
    let r1 = min(i0 + 8u, p.n - 1u);
    let r2 = min(i0 + 16u, p.n - 1u);
    let r3 = min(i0 + 24u, p.n - 1u);
    let zero = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    var m = vec4<f32>(-1.0e30);
    var l = vec4<f32>(0.0);
    var q0 = zero;
    var o0 = zero;
    var q1 = zero;
    var o1 = zero;
    var q2 = zero;
    var o2 = zero;
    var q3 = zero;
    var o3 = zero;
    var q4 = zero;
    var o4 = zero;
    var q5 = zero;
    var o5 = zero;
    var q6 = zero;
    var o6 = zero;
    var q7 = zero;
    var o7 = zero;
    // The lane's q rows, fetched once: q{t}[e] = the 4 rows at head_dim value 4t + e.
    let eq = (vec4<u32>(row0) + vec4<u32>(r0, r1, r2, r3)) * st + vec4<u32>(xq);
    let bq = eq / 4u;
    let sq = eq % 4u;
    var ql = lq4(bq);
    if (DT > 0u) {
        let qh = lq4(bq + vec4<u32>(1u));
        q0 = rows4(ql, qh, sq, 0u);
        ql = qh;
    }
    if (DT > 1u) {
        let qh = lq4(bq + vec4<u32>(2u));
        q1 = rows4(ql, qh, sq, 1u);
        ql = qh;
    }
    if (DT > 2u) {
        let qh = lq4(bq + vec4<u32>(3u));
        q2 = rows4(ql, qh, sq, 2u);
        ql = qh;
    }
    if (DT > 3u) {
        let qh = lq4(bq + vec4<u32>(4u));
        q3 = rows4(ql, qh, sq, 3u);
        ql = qh;
    }
    if (DT > 4u) {
        let qh = lq4(bq + vec4<u32>(5u));
        q4 = rows4(ql, qh, sq, 4u);
        ql = qh;
    }
    if (DT > 5u) {
        let qh = lq4(bq + vec4<u32>(6u));
        q5 = rows4(ql, qh, sq, 5u);
        ql = qh;
    }
    if (DT > 6u) {
        let qh = lq4(bq + vec4<u32>(7u));
        q6 = rows4(ql, qh, sq, 6u);
        ql = qh;
    }
    if (DT > 7u) {
        let qh = lq4(bq + vec4<u32>(8u));
        q7 = rows4(ql, qh, sq, 7u);
        ql = qh;
    }
    for (var j0 = 0u; j0 < p.n; j0 += 8u) {
        let jl = min(j0 + lane, p.n - 1u);
        // This lane's key: its k and v slices texel by texel.
        let ej = (row0 + jl) * st;
        let kb = (ej + xk) / 4u;
        let ks = (ej + xk) % 4u;
        var kl = lq(kb);
        let vb = (ej + xv) / 4u;
        let vs = (ej + xv) % 4u;
        var vl = lq(vb);
        var s0 = vec4<f32>(0.0);
        var s1 = vec4<f32>(0.0);
        var s2 = vec4<f32>(0.0);
        var s3 = vec4<f32>(0.0);
        var s4 = vec4<f32>(0.0);
        var s5 = vec4<f32>(0.0);
        var s6 = vec4<f32>(0.0);
        var s7 = vec4<f32>(0.0);
        if (DT > 0u) {
            let klh = lq(kb + 1u);
            let kt = cut(align(kl, klh, ks), 0u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q0);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q0);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q0);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q0);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q0);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q0);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q0);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q0);
        }
        if (DT > 1u) {
            let klh = lq(kb + 2u);
            let kt = cut(align(kl, klh, ks), 1u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q1);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q1);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q1);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q1);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q1);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q1);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q1);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q1);
        }
        if (DT > 2u) {
            let klh = lq(kb + 3u);
            let kt = cut(align(kl, klh, ks), 2u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q2);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q2);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q2);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q2);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q2);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q2);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q2);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q2);
        }
        if (DT > 3u) {
            let klh = lq(kb + 4u);
            let kt = cut(align(kl, klh, ks), 3u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q3);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q3);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q3);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q3);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q3);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q3);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q3);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q3);
        }
        if (DT > 4u) {
            let klh = lq(kb + 5u);
            let kt = cut(align(kl, klh, ks), 4u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q4);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q4);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q4);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q4);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q4);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q4);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q4);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q4);
        }
        if (DT > 5u) {
            let klh = lq(kb + 6u);
            let kt = cut(align(kl, klh, ks), 5u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q5);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q5);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q5);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q5);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q5);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q5);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q5);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q5);
        }
        if (DT > 6u) {
            let klh = lq(kb + 7u);
            let kt = cut(align(kl, klh, ks), 6u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q6);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q6);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q6);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q6);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q6);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q6);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q6);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q6);
        }
        if (DT > 7u) {
            let klh = lq(kb + 8u);
            let kt = cut(align(kl, klh, ks), 7u);
            kl = klh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q7);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q7);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q7);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q7);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q7);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q7);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q7);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q7);
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
        if (DT > 0u) {
            let vlh = lq(vb + 1u);
            let vt = cut(align(vl, vlh, vs), 0u);
            vl = vlh;
            o0 = mat4x4<f32>(o0[0] * alpha, o0[1] * alpha, o0[2] * alpha, o0[3] * alpha);
            o0 = pv(o0, s0, subgroupBroadcast(vt, 0u));
            o0 = pv(o0, s1, subgroupBroadcast(vt, 1u));
            o0 = pv(o0, s2, subgroupBroadcast(vt, 2u));
            o0 = pv(o0, s3, subgroupBroadcast(vt, 3u));
            o0 = pv(o0, s4, subgroupBroadcast(vt, 4u));
            o0 = pv(o0, s5, subgroupBroadcast(vt, 5u));
            o0 = pv(o0, s6, subgroupBroadcast(vt, 6u));
            o0 = pv(o0, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 1u) {
            let vlh = lq(vb + 2u);
            let vt = cut(align(vl, vlh, vs), 1u);
            vl = vlh;
            o1 = mat4x4<f32>(o1[0] * alpha, o1[1] * alpha, o1[2] * alpha, o1[3] * alpha);
            o1 = pv(o1, s0, subgroupBroadcast(vt, 0u));
            o1 = pv(o1, s1, subgroupBroadcast(vt, 1u));
            o1 = pv(o1, s2, subgroupBroadcast(vt, 2u));
            o1 = pv(o1, s3, subgroupBroadcast(vt, 3u));
            o1 = pv(o1, s4, subgroupBroadcast(vt, 4u));
            o1 = pv(o1, s5, subgroupBroadcast(vt, 5u));
            o1 = pv(o1, s6, subgroupBroadcast(vt, 6u));
            o1 = pv(o1, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 2u) {
            let vlh = lq(vb + 3u);
            let vt = cut(align(vl, vlh, vs), 2u);
            vl = vlh;
            o2 = mat4x4<f32>(o2[0] * alpha, o2[1] * alpha, o2[2] * alpha, o2[3] * alpha);
            o2 = pv(o2, s0, subgroupBroadcast(vt, 0u));
            o2 = pv(o2, s1, subgroupBroadcast(vt, 1u));
            o2 = pv(o2, s2, subgroupBroadcast(vt, 2u));
            o2 = pv(o2, s3, subgroupBroadcast(vt, 3u));
            o2 = pv(o2, s4, subgroupBroadcast(vt, 4u));
            o2 = pv(o2, s5, subgroupBroadcast(vt, 5u));
            o2 = pv(o2, s6, subgroupBroadcast(vt, 6u));
            o2 = pv(o2, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 3u) {
            let vlh = lq(vb + 4u);
            let vt = cut(align(vl, vlh, vs), 3u);
            vl = vlh;
            o3 = mat4x4<f32>(o3[0] * alpha, o3[1] * alpha, o3[2] * alpha, o3[3] * alpha);
            o3 = pv(o3, s0, subgroupBroadcast(vt, 0u));
            o3 = pv(o3, s1, subgroupBroadcast(vt, 1u));
            o3 = pv(o3, s2, subgroupBroadcast(vt, 2u));
            o3 = pv(o3, s3, subgroupBroadcast(vt, 3u));
            o3 = pv(o3, s4, subgroupBroadcast(vt, 4u));
            o3 = pv(o3, s5, subgroupBroadcast(vt, 5u));
            o3 = pv(o3, s6, subgroupBroadcast(vt, 6u));
            o3 = pv(o3, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 4u) {
            let vlh = lq(vb + 5u);
            let vt = cut(align(vl, vlh, vs), 4u);
            vl = vlh;
            o4 = mat4x4<f32>(o4[0] * alpha, o4[1] * alpha, o4[2] * alpha, o4[3] * alpha);
            o4 = pv(o4, s0, subgroupBroadcast(vt, 0u));
            o4 = pv(o4, s1, subgroupBroadcast(vt, 1u));
            o4 = pv(o4, s2, subgroupBroadcast(vt, 2u));
            o4 = pv(o4, s3, subgroupBroadcast(vt, 3u));
            o4 = pv(o4, s4, subgroupBroadcast(vt, 4u));
            o4 = pv(o4, s5, subgroupBroadcast(vt, 5u));
            o4 = pv(o4, s6, subgroupBroadcast(vt, 6u));
            o4 = pv(o4, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 5u) {
            let vlh = lq(vb + 6u);
            let vt = cut(align(vl, vlh, vs), 5u);
            vl = vlh;
            o5 = mat4x4<f32>(o5[0] * alpha, o5[1] * alpha, o5[2] * alpha, o5[3] * alpha);
            o5 = pv(o5, s0, subgroupBroadcast(vt, 0u));
            o5 = pv(o5, s1, subgroupBroadcast(vt, 1u));
            o5 = pv(o5, s2, subgroupBroadcast(vt, 2u));
            o5 = pv(o5, s3, subgroupBroadcast(vt, 3u));
            o5 = pv(o5, s4, subgroupBroadcast(vt, 4u));
            o5 = pv(o5, s5, subgroupBroadcast(vt, 5u));
            o5 = pv(o5, s6, subgroupBroadcast(vt, 6u));
            o5 = pv(o5, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 6u) {
            let vlh = lq(vb + 7u);
            let vt = cut(align(vl, vlh, vs), 6u);
            vl = vlh;
            o6 = mat4x4<f32>(o6[0] * alpha, o6[1] * alpha, o6[2] * alpha, o6[3] * alpha);
            o6 = pv(o6, s0, subgroupBroadcast(vt, 0u));
            o6 = pv(o6, s1, subgroupBroadcast(vt, 1u));
            o6 = pv(o6, s2, subgroupBroadcast(vt, 2u));
            o6 = pv(o6, s3, subgroupBroadcast(vt, 3u));
            o6 = pv(o6, s4, subgroupBroadcast(vt, 4u));
            o6 = pv(o6, s5, subgroupBroadcast(vt, 5u));
            o6 = pv(o6, s6, subgroupBroadcast(vt, 6u));
            o6 = pv(o6, s7, subgroupBroadcast(vt, 7u));
        }
        if (DT > 7u) {
            let vlh = lq(vb + 8u);
            let vt = cut(align(vl, vlh, vs), 7u);
            vl = vlh;
            o7 = mat4x4<f32>(o7[0] * alpha, o7[1] * alpha, o7[2] * alpha, o7[3] * alpha);
            o7 = pv(o7, s0, subgroupBroadcast(vt, 0u));
            o7 = pv(o7, s1, subgroupBroadcast(vt, 1u));
            o7 = pv(o7, s2, subgroupBroadcast(vt, 2u));
            o7 = pv(o7, s3, subgroupBroadcast(vt, 3u));
            o7 = pv(o7, s4, subgroupBroadcast(vt, 4u));
            o7 = pv(o7, s5, subgroupBroadcast(vt, 5u));
            o7 = pv(o7, s6, subgroupBroadcast(vt, 6u));
            o7 = pv(o7, s7, subgroupBroadcast(vt, 7u));
        }
    }
    let inv = 1.0 / l;
    let lg = m + log(l);
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + 8u * r;
        if (i < p.n) {
            lse[g * p.n + i] = lg[r];
            let base = (window * p.n + i) * p.c + head * p.hd;
            if (DT > 0u) {
                store(base, 0u, o0, r, inv[r]);
            }
            if (DT > 1u) {
                store(base, 1u, o1, r, inv[r]);
            }
            if (DT > 2u) {
                store(base, 2u, o2, r, inv[r]);
            }
            if (DT > 3u) {
                store(base, 3u, o3, r, inv[r]);
            }
            if (DT > 4u) {
                store(base, 4u, o4, r, inv[r]);
            }
            if (DT > 5u) {
                store(base, 5u, o5, r, inv[r]);
            }
            if (DT > 6u) {
                store(base, 6u, o6, r, inv[r]);
            }
            if (DT > 7u) {
                store(base, 7u, o7, r, inv[r]);
            }
        }
    }
}
