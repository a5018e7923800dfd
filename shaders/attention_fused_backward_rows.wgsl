// Fused window attention backward, query-row side: per (window, head) and the lane's 4 query
// rows (as in attention_fused_forward.wgsl), walking the keys in blocks of 8:
//   P = exp(scale q k^T + bias - lse)  (recomputed from the forward's log-sum-exp),
//   dP = dout v^T, dS = P (dP - D) with D = rowsum(dout * out),
//   dq = scale dS k (accumulated in registers, written once),
// and D [windows * heads, n] for the key-side kernel (attention_fused_backward_keys.wgsl),
// which recomputes P and dS itself: nothing of size n x n goes through memory.
// tq holds q, k, v; td holds dout then out (attention_fused_pack.wgsl); tb the bias + mask.
// DT = texels of head_dim.
// The head_dim texels are written out as 8 guarded copies (`if (DT > t)`, folded when the
// pipeline is created) with named registers: with arrays indexed by a loop counter lavapipe
// keeps operands and accumulators in per-lane scratch memory (~2x slower).
override DT: u32 = 8u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, obase: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> dd: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var tq: texture_2d_array<f32>;
@group(0) @binding(5) var td: texture_2d_array<f32>;
@group(0) @binding(6) var tb: texture_2d_array<f32>;

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

fn ld(i: u32) -> vec4<f32> {
    return textureLoad(td, vec2<u32>(i % TW, (i / TW) % TH), i / (TW * TH), 0);
}

fn ld4(i: vec4<u32>) -> mat4x4<f32> {
    return mat4x4<f32>(ld(i.x), ld(i.y), ld(i.z), ld(i.w));
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

fn mac(acc: vec4<f32>, b: vec4<f32>, x: mat4x4<f32>) -> vec4<f32> {
    return fma(vec4<f32>(b.w), x[3], fma(vec4<f32>(b.z), x[2], fma(vec4<f32>(b.y), x[1], fma(vec4<f32>(b.x), x[0], acc))));
}

fn pv(o: mat4x4<f32>, pj: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(fma(pj, vec4<f32>(v.x), o[0]), fma(pj, vec4<f32>(v.y), o[1]),
                       fma(pj, vec4<f32>(v.z), o[2]), fma(pj, vec4<f32>(v.w), o[3]));
}

fn window_type(window: u32) -> u32 {
    if (p.shift == 0u) { return 0u; }
    let wl = window % (p.nwx * p.nwy);
    return u32(wl / p.nwx == p.nwy - 1u) * 2u + u32(wl % p.nwx == p.nwx - 1u);
}

fn bias(bl: u32, q: u32, r: vec4<u32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(textureLoad(tb, vec2<u32>(q, r.x), bl, 0), textureLoad(tb, vec2<u32>(q, r.y), bl, 0),
                                 textureLoad(tb, vec2<u32>(q, r.z), bl, 0), textureLoad(tb, vec2<u32>(q, r.w), bl, 0)));
}

// dqkv[base + 4t + e] = scale a[e][r] for the head_dim values d = 4t + e < hd.
fn store(base: u32, t: u32, a: mat4x4<f32>, r: u32) {
    for (var e = 0u; e < 4u; e++) {
        if (4u * t + e < p.hd) {
            dqkv[base + 4u * t + e] = a[e][r] * p.scale;
        }
    }
}

@compute @workgroup_size(8)
fn attention_fused_backward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
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
    // dout and out in td: rows of C, out from texel obase on.
    let xo = 4u * p.obase + xq;
    let i0 = wid.x * 32u + lane;
    let rr = min(vec4<u32>(i0) + vec4<u32>(0u, 8u, 16u, 24u), vec4<u32>(p.n - 1u));
    // D = rowsum(dout * out) and the rows' log-sum-exp.
    let er = vec4<u32>(row0) + rr;
    let eg = er * p.c + vec4<u32>(xq);
    let bg = eg / 4u;
    let sg = eg % 4u;
    let eo = er * p.c + vec4<u32>(xo);
    let bo = eo / 4u;
    let so = eo % 4u;
    var dsum = vec4<f32>(0.0);
    var al = ld4(bg);
    var bl0 = ld4(bo);
    for (var t = 0u; t < DT; t++) {
        let ah = ld4(bg + vec4<u32>(t + 1u));
        let bh = ld4(bo + vec4<u32>(t + 1u));
        let a = rows4(al, ah, sg, t);
        let b = rows4(bl0, bh, so, t);
        al = ah;
        bl0 = bh;
        dsum = fma(a[0], b[0], fma(a[1], b[1], fma(a[2], b[2], fma(a[3], b[3], dsum))));
    }
    let lg = vec4<f32>(lse[g * p.n + rr.x], lse[g * p.n + rr.y], lse[g * p.n + rr.z], lse[g * p.n + rr.w]);
    let zero = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    var q0 = zero;
    var g0 = zero;
    var a0 = zero;
    var q1 = zero;
    var g1 = zero;
    var a1 = zero;
    var q2 = zero;
    var g2 = zero;
    var a2 = zero;
    var q3 = zero;
    var g3 = zero;
    var a3 = zero;
    var q4 = zero;
    var g4 = zero;
    var a4 = zero;
    var q5 = zero;
    var g5 = zero;
    var a5 = zero;
    var q6 = zero;
    var g6 = zero;
    var a6 = zero;
    var q7 = zero;
    var g7 = zero;
    var a7 = zero;
    // The lane's q and dout rows (q{t}, g{t}), fetched once; a{t} accumulate dq.
    let eq = er * st + vec4<u32>(xq);
    let bq = eq / 4u;
    let sq = eq % 4u;
    var ql = lq4(bq);
    var gl = ld4(bg);
    if (DT > 0u) {
        let qh = lq4(bq + vec4<u32>(1u));
        let gh = ld4(bg + vec4<u32>(1u));
        q0 = rows4(ql, qh, sq, 0u);
        g0 = rows4(gl, gh, sg, 0u);
        ql = qh;
        gl = gh;
    }
    if (DT > 1u) {
        let qh = lq4(bq + vec4<u32>(2u));
        let gh = ld4(bg + vec4<u32>(2u));
        q1 = rows4(ql, qh, sq, 1u);
        g1 = rows4(gl, gh, sg, 1u);
        ql = qh;
        gl = gh;
    }
    if (DT > 2u) {
        let qh = lq4(bq + vec4<u32>(3u));
        let gh = ld4(bg + vec4<u32>(3u));
        q2 = rows4(ql, qh, sq, 2u);
        g2 = rows4(gl, gh, sg, 2u);
        ql = qh;
        gl = gh;
    }
    if (DT > 3u) {
        let qh = lq4(bq + vec4<u32>(4u));
        let gh = ld4(bg + vec4<u32>(4u));
        q3 = rows4(ql, qh, sq, 3u);
        g3 = rows4(gl, gh, sg, 3u);
        ql = qh;
        gl = gh;
    }
    if (DT > 4u) {
        let qh = lq4(bq + vec4<u32>(5u));
        let gh = ld4(bg + vec4<u32>(5u));
        q4 = rows4(ql, qh, sq, 4u);
        g4 = rows4(gl, gh, sg, 4u);
        ql = qh;
        gl = gh;
    }
    if (DT > 5u) {
        let qh = lq4(bq + vec4<u32>(6u));
        let gh = ld4(bg + vec4<u32>(6u));
        q5 = rows4(ql, qh, sq, 5u);
        g5 = rows4(gl, gh, sg, 5u);
        ql = qh;
        gl = gh;
    }
    if (DT > 6u) {
        let qh = lq4(bq + vec4<u32>(7u));
        let gh = ld4(bg + vec4<u32>(7u));
        q6 = rows4(ql, qh, sq, 6u);
        g6 = rows4(gl, gh, sg, 6u);
        ql = qh;
        gl = gh;
    }
    if (DT > 7u) {
        let qh = lq4(bq + vec4<u32>(8u));
        let gh = ld4(bg + vec4<u32>(8u));
        q7 = rows4(ql, qh, sq, 7u);
        g7 = rows4(gl, gh, sg, 7u);
        ql = qh;
        gl = gh;
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
        var e0 = vec4<f32>(0.0);
        var e1 = vec4<f32>(0.0);
        var e2 = vec4<f32>(0.0);
        var e3 = vec4<f32>(0.0);
        var e4 = vec4<f32>(0.0);
        var e5 = vec4<f32>(0.0);
        var e6 = vec4<f32>(0.0);
        var e7 = vec4<f32>(0.0);
        if (DT > 0u) {
            let klh = lq(kb + 1u);
            let kt = cut(align(kl, klh, ks), 0u);
            kl = klh;
            let vlh = lq(vb + 1u);
            let vt = cut(align(vl, vlh, vs), 0u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q0);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q0);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q0);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q0);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q0);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q0);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q0);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q0);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g0);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g0);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g0);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g0);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g0);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g0);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g0);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g0);
        }
        if (DT > 1u) {
            let klh = lq(kb + 2u);
            let kt = cut(align(kl, klh, ks), 1u);
            kl = klh;
            let vlh = lq(vb + 2u);
            let vt = cut(align(vl, vlh, vs), 1u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q1);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q1);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q1);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q1);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q1);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q1);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q1);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q1);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g1);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g1);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g1);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g1);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g1);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g1);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g1);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g1);
        }
        if (DT > 2u) {
            let klh = lq(kb + 3u);
            let kt = cut(align(kl, klh, ks), 2u);
            kl = klh;
            let vlh = lq(vb + 3u);
            let vt = cut(align(vl, vlh, vs), 2u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q2);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q2);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q2);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q2);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q2);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q2);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q2);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q2);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g2);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g2);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g2);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g2);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g2);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g2);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g2);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g2);
        }
        if (DT > 3u) {
            let klh = lq(kb + 4u);
            let kt = cut(align(kl, klh, ks), 3u);
            kl = klh;
            let vlh = lq(vb + 4u);
            let vt = cut(align(vl, vlh, vs), 3u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q3);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q3);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q3);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q3);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q3);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q3);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q3);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q3);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g3);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g3);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g3);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g3);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g3);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g3);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g3);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g3);
        }
        if (DT > 4u) {
            let klh = lq(kb + 5u);
            let kt = cut(align(kl, klh, ks), 4u);
            kl = klh;
            let vlh = lq(vb + 5u);
            let vt = cut(align(vl, vlh, vs), 4u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q4);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q4);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q4);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q4);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q4);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q4);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q4);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q4);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g4);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g4);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g4);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g4);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g4);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g4);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g4);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g4);
        }
        if (DT > 5u) {
            let klh = lq(kb + 6u);
            let kt = cut(align(kl, klh, ks), 5u);
            kl = klh;
            let vlh = lq(vb + 6u);
            let vt = cut(align(vl, vlh, vs), 5u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q5);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q5);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q5);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q5);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q5);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q5);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q5);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q5);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g5);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g5);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g5);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g5);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g5);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g5);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g5);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g5);
        }
        if (DT > 6u) {
            let klh = lq(kb + 7u);
            let kt = cut(align(kl, klh, ks), 6u);
            kl = klh;
            let vlh = lq(vb + 7u);
            let vt = cut(align(vl, vlh, vs), 6u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q6);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q6);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q6);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q6);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q6);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q6);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q6);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q6);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g6);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g6);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g6);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g6);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g6);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g6);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g6);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g6);
        }
        if (DT > 7u) {
            let klh = lq(kb + 8u);
            let kt = cut(align(kl, klh, ks), 7u);
            kl = klh;
            let vlh = lq(vb + 8u);
            let vt = cut(align(vl, vlh, vs), 7u);
            vl = vlh;
            s0 = mac(s0, subgroupBroadcast(kt, 0u), q7);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), q7);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), q7);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), q7);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), q7);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), q7);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), q7);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), q7);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), g7);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), g7);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), g7);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), g7);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), g7);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), g7);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), g7);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), g7);
        }
        let qa = j0 / 4u;
        let qb = min(qa + 1u, p.n / 4u - 1u);
        let ba = bias(bl, qa, rr);
        let bb = bias(bl, qb, rr);
        let sc = vec4<f32>(p.scale);
        s0 = exp(fma(s0, sc, ba[0]) - lg);
        s1 = exp(fma(s1, sc, ba[1]) - lg);
        s2 = exp(fma(s2, sc, ba[2]) - lg);
        s3 = exp(fma(s3, sc, ba[3]) - lg);
        s4 = exp(fma(s4, sc, bb[0]) - lg);
        s5 = exp(fma(s5, sc, bb[1]) - lg);
        s6 = exp(fma(s6, sc, bb[2]) - lg);
        s7 = exp(fma(s7, sc, bb[3]) - lg);
        e0 = s0 * (e0 - dsum);
        e1 = s1 * (e1 - dsum);
        e2 = s2 * (e2 - dsum);
        e3 = s3 * (e3 - dsum);
        e4 = s4 * (e4 - dsum);
        e5 = s5 * (e5 - dsum);
        e6 = s6 * (e6 - dsum);
        e7 = s7 * (e7 - dsum);
        if (j0 + 8u > p.n) {
            // Keys past n (the second half of the last block) add nothing to dq.
            e4 = vec4<f32>(0.0);
            e5 = vec4<f32>(0.0);
            e6 = vec4<f32>(0.0);
            e7 = vec4<f32>(0.0);
        }
        kl = lq(kb);
        if (DT > 0u) {
            let klh = lq(kb + 1u);
            let kt = cut(align(kl, klh, ks), 0u);
            kl = klh;
            a0 = pv(a0, e0, subgroupBroadcast(kt, 0u));
            a0 = pv(a0, e1, subgroupBroadcast(kt, 1u));
            a0 = pv(a0, e2, subgroupBroadcast(kt, 2u));
            a0 = pv(a0, e3, subgroupBroadcast(kt, 3u));
            a0 = pv(a0, e4, subgroupBroadcast(kt, 4u));
            a0 = pv(a0, e5, subgroupBroadcast(kt, 5u));
            a0 = pv(a0, e6, subgroupBroadcast(kt, 6u));
            a0 = pv(a0, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 1u) {
            let klh = lq(kb + 2u);
            let kt = cut(align(kl, klh, ks), 1u);
            kl = klh;
            a1 = pv(a1, e0, subgroupBroadcast(kt, 0u));
            a1 = pv(a1, e1, subgroupBroadcast(kt, 1u));
            a1 = pv(a1, e2, subgroupBroadcast(kt, 2u));
            a1 = pv(a1, e3, subgroupBroadcast(kt, 3u));
            a1 = pv(a1, e4, subgroupBroadcast(kt, 4u));
            a1 = pv(a1, e5, subgroupBroadcast(kt, 5u));
            a1 = pv(a1, e6, subgroupBroadcast(kt, 6u));
            a1 = pv(a1, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 2u) {
            let klh = lq(kb + 3u);
            let kt = cut(align(kl, klh, ks), 2u);
            kl = klh;
            a2 = pv(a2, e0, subgroupBroadcast(kt, 0u));
            a2 = pv(a2, e1, subgroupBroadcast(kt, 1u));
            a2 = pv(a2, e2, subgroupBroadcast(kt, 2u));
            a2 = pv(a2, e3, subgroupBroadcast(kt, 3u));
            a2 = pv(a2, e4, subgroupBroadcast(kt, 4u));
            a2 = pv(a2, e5, subgroupBroadcast(kt, 5u));
            a2 = pv(a2, e6, subgroupBroadcast(kt, 6u));
            a2 = pv(a2, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 3u) {
            let klh = lq(kb + 4u);
            let kt = cut(align(kl, klh, ks), 3u);
            kl = klh;
            a3 = pv(a3, e0, subgroupBroadcast(kt, 0u));
            a3 = pv(a3, e1, subgroupBroadcast(kt, 1u));
            a3 = pv(a3, e2, subgroupBroadcast(kt, 2u));
            a3 = pv(a3, e3, subgroupBroadcast(kt, 3u));
            a3 = pv(a3, e4, subgroupBroadcast(kt, 4u));
            a3 = pv(a3, e5, subgroupBroadcast(kt, 5u));
            a3 = pv(a3, e6, subgroupBroadcast(kt, 6u));
            a3 = pv(a3, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 4u) {
            let klh = lq(kb + 5u);
            let kt = cut(align(kl, klh, ks), 4u);
            kl = klh;
            a4 = pv(a4, e0, subgroupBroadcast(kt, 0u));
            a4 = pv(a4, e1, subgroupBroadcast(kt, 1u));
            a4 = pv(a4, e2, subgroupBroadcast(kt, 2u));
            a4 = pv(a4, e3, subgroupBroadcast(kt, 3u));
            a4 = pv(a4, e4, subgroupBroadcast(kt, 4u));
            a4 = pv(a4, e5, subgroupBroadcast(kt, 5u));
            a4 = pv(a4, e6, subgroupBroadcast(kt, 6u));
            a4 = pv(a4, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 5u) {
            let klh = lq(kb + 6u);
            let kt = cut(align(kl, klh, ks), 5u);
            kl = klh;
            a5 = pv(a5, e0, subgroupBroadcast(kt, 0u));
            a5 = pv(a5, e1, subgroupBroadcast(kt, 1u));
            a5 = pv(a5, e2, subgroupBroadcast(kt, 2u));
            a5 = pv(a5, e3, subgroupBroadcast(kt, 3u));
            a5 = pv(a5, e4, subgroupBroadcast(kt, 4u));
            a5 = pv(a5, e5, subgroupBroadcast(kt, 5u));
            a5 = pv(a5, e6, subgroupBroadcast(kt, 6u));
            a5 = pv(a5, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 6u) {
            let klh = lq(kb + 7u);
            let kt = cut(align(kl, klh, ks), 6u);
            kl = klh;
            a6 = pv(a6, e0, subgroupBroadcast(kt, 0u));
            a6 = pv(a6, e1, subgroupBroadcast(kt, 1u));
            a6 = pv(a6, e2, subgroupBroadcast(kt, 2u));
            a6 = pv(a6, e3, subgroupBroadcast(kt, 3u));
            a6 = pv(a6, e4, subgroupBroadcast(kt, 4u));
            a6 = pv(a6, e5, subgroupBroadcast(kt, 5u));
            a6 = pv(a6, e6, subgroupBroadcast(kt, 6u));
            a6 = pv(a6, e7, subgroupBroadcast(kt, 7u));
        }
        if (DT > 7u) {
            let klh = lq(kb + 8u);
            let kt = cut(align(kl, klh, ks), 7u);
            kl = klh;
            a7 = pv(a7, e0, subgroupBroadcast(kt, 0u));
            a7 = pv(a7, e1, subgroupBroadcast(kt, 1u));
            a7 = pv(a7, e2, subgroupBroadcast(kt, 2u));
            a7 = pv(a7, e3, subgroupBroadcast(kt, 3u));
            a7 = pv(a7, e4, subgroupBroadcast(kt, 4u));
            a7 = pv(a7, e5, subgroupBroadcast(kt, 5u));
            a7 = pv(a7, e6, subgroupBroadcast(kt, 6u));
            a7 = pv(a7, e7, subgroupBroadcast(kt, 7u));
        }
    }
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + 8u * r;
        if (i < p.n) {
            dd[g * p.n + i] = dsum[r];
            let base = (window * p.n + i) * 3u * p.c + head * p.hd;
            if (DT > 0u) {
                store(base, 0u, a0, r);
            }
            if (DT > 1u) {
                store(base, 1u, a1, r);
            }
            if (DT > 2u) {
                store(base, 2u, a2, r);
            }
            if (DT > 3u) {
                store(base, 3u, a3, r);
            }
            if (DT > 4u) {
                store(base, 4u, a4, r);
            }
            if (DT > 5u) {
                store(base, 5u, a5, r);
            }
            if (DT > 6u) {
                store(base, 6u, a6, r);
            }
            if (DT > 7u) {
                store(base, 7u, a7, r);
            }
        }
    }
}
