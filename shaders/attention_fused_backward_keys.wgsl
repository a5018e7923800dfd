// Fused window attention backward, key side: each lane owns 4 consecutive keys
// (j = 32 wid.x + 4 lane + c) of one head and walks the queries in blocks of 8, recomputing
//   P = exp(scale q k^T + bias - lse), dP = dout v^T, dS = P (dP - D)
// (lse from the forward, D = rowsum(dout * out) from attention_fused_backward_rows.wgsl), so
// nothing of size n x n goes through memory:
//   dv_j = sum_i P_ij dout_i,  dk_j = scale sum_i dS_ij q_i.
// Scores are vec4 over the lane's 4 keys; q and dout rows are fetched one texel per lane and
// shared by subgroupBroadcast, bias + mask texels (tb) are already 4 keys wide.
// A workgroup walks WC windows of one head in order (layer wid.y = head + heads * chunk) and
// sums dS over them per (query, key) in registers: the chunk's partial sums [chunks, heads,
// n, n] go to the deterministic bias-table gradient. Needs n <= 64.
// The head_dim texels are written out as 8 guarded copies (`if (DT > t)`, folded when the
// pipeline is created) with named registers: with arrays indexed by a loop counter lavapipe
// keeps operands and accumulators in per-lane scratch memory (~2x slower).
override DT: u32 = 8u;
const WC: u32 = 16u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, windows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> dsum: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> dd: array<f32>;
@group(0) @binding(5) var tq: texture_2d_array<f32>;
@group(0) @binding(6) var td: texture_2d_array<f32>;
@group(0) @binding(7) var tb: texture_2d_array<f32>;

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

// dk (scaled) and dv of key c at the head_dim values d = 4t + e < hd.
fn store(base: u32, t: u32, dk: mat4x4<f32>, dv: mat4x4<f32>, c: u32) {
    for (var e = 0u; e < 4u; e++) {
        let d = 4u * t + e;
        if (d < p.hd) {
            dqkv[base + p.c + d] = dk[e][c] * p.scale;
            dqkv[base + 2u * p.c + d] = dv[e][c];
        }
    }
}

@compute @workgroup_size(8)
fn attention_fused_backward_keys(@builtin(workgroup_id) wid: vec3<u32>,
                                 @builtin(subgroup_invocation_id) lane: u32) {
    let head = wid.y % p.heads;
    let chunk = wid.y / p.heads;
    let nq = p.n / 4u;
    let jq = wid.x * 8u + lane;
    let valid = jq < nq;
    let jqc = min(jq, nq - 1u);
    let jj = vec4<u32>(4u * jqc) + vec4<u32>(0u, 1u, 2u, 3u);
    let st = 3u * p.c;
    let xq = head * p.hd;
    let xk = p.c + xq;
    let xv = 2u * p.c + xq;
    // dS summed over the chunk's windows, per query i (ts{i}): named registers selected by a
    // uniform switch on the query block (an array indexed by i went to per-lane scratch).
    var ts0 = vec4<f32>(0.0);
    var ts1 = vec4<f32>(0.0);
    var ts2 = vec4<f32>(0.0);
    var ts3 = vec4<f32>(0.0);
    var ts4 = vec4<f32>(0.0);
    var ts5 = vec4<f32>(0.0);
    var ts6 = vec4<f32>(0.0);
    var ts7 = vec4<f32>(0.0);
    var ts8 = vec4<f32>(0.0);
    var ts9 = vec4<f32>(0.0);
    var ts10 = vec4<f32>(0.0);
    var ts11 = vec4<f32>(0.0);
    var ts12 = vec4<f32>(0.0);
    var ts13 = vec4<f32>(0.0);
    var ts14 = vec4<f32>(0.0);
    var ts15 = vec4<f32>(0.0);
    var ts16 = vec4<f32>(0.0);
    var ts17 = vec4<f32>(0.0);
    var ts18 = vec4<f32>(0.0);
    var ts19 = vec4<f32>(0.0);
    var ts20 = vec4<f32>(0.0);
    var ts21 = vec4<f32>(0.0);
    var ts22 = vec4<f32>(0.0);
    var ts23 = vec4<f32>(0.0);
    var ts24 = vec4<f32>(0.0);
    var ts25 = vec4<f32>(0.0);
    var ts26 = vec4<f32>(0.0);
    var ts27 = vec4<f32>(0.0);
    var ts28 = vec4<f32>(0.0);
    var ts29 = vec4<f32>(0.0);
    var ts30 = vec4<f32>(0.0);
    var ts31 = vec4<f32>(0.0);
    var ts32 = vec4<f32>(0.0);
    var ts33 = vec4<f32>(0.0);
    var ts34 = vec4<f32>(0.0);
    var ts35 = vec4<f32>(0.0);
    var ts36 = vec4<f32>(0.0);
    var ts37 = vec4<f32>(0.0);
    var ts38 = vec4<f32>(0.0);
    var ts39 = vec4<f32>(0.0);
    var ts40 = vec4<f32>(0.0);
    var ts41 = vec4<f32>(0.0);
    var ts42 = vec4<f32>(0.0);
    var ts43 = vec4<f32>(0.0);
    var ts44 = vec4<f32>(0.0);
    var ts45 = vec4<f32>(0.0);
    var ts46 = vec4<f32>(0.0);
    var ts47 = vec4<f32>(0.0);
    var ts48 = vec4<f32>(0.0);
    var ts49 = vec4<f32>(0.0);
    var ts50 = vec4<f32>(0.0);
    var ts51 = vec4<f32>(0.0);
    var ts52 = vec4<f32>(0.0);
    var ts53 = vec4<f32>(0.0);
    var ts54 = vec4<f32>(0.0);
    var ts55 = vec4<f32>(0.0);
    var ts56 = vec4<f32>(0.0);
    var ts57 = vec4<f32>(0.0);
    var ts58 = vec4<f32>(0.0);
    var ts59 = vec4<f32>(0.0);
    var ts60 = vec4<f32>(0.0);
    var ts61 = vec4<f32>(0.0);
    var ts62 = vec4<f32>(0.0);
    var ts63 = vec4<f32>(0.0);
    let w1 = min(chunk * WC + WC, p.windows);
    for (var window = chunk * WC; window < w1; window++) {
        let g = window * p.heads + head;
        let row0 = window * p.n;
        let bl = window_type(window) * p.heads + head;
        let zero = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
        var k0 = zero;
        var v0 = zero;
        var dk0 = zero;
        var dv0 = zero;
        var k1 = zero;
        var v1 = zero;
        var dk1 = zero;
        var dv1 = zero;
        var k2 = zero;
        var v2 = zero;
        var dk2 = zero;
        var dv2 = zero;
        var k3 = zero;
        var v3 = zero;
        var dk3 = zero;
        var dv3 = zero;
        var k4 = zero;
        var v4 = zero;
        var dk4 = zero;
        var dv4 = zero;
        var k5 = zero;
        var v5 = zero;
        var dk5 = zero;
        var dv5 = zero;
        var k6 = zero;
        var v6 = zero;
        var dk6 = zero;
        var dv6 = zero;
        var k7 = zero;
        var v7 = zero;
        var dk7 = zero;
        var dv7 = zero;
        // The lane's keys' k and v, fetched once per window.
        let ej = (vec4<u32>(row0) + jj) * st;
        let bk = (ej + vec4<u32>(xk)) / 4u;
        let sk = (ej + vec4<u32>(xk)) % 4u;
        let bv = (ej + vec4<u32>(xv)) / 4u;
        let sv = (ej + vec4<u32>(xv)) % 4u;
        var kl = lq4(bk);
        var vl = lq4(bv);
        if (DT > 0u) {
            let kh = lq4(bk + vec4<u32>(1u));
            let vh = lq4(bv + vec4<u32>(1u));
            k0 = rows4(kl, kh, sk, 0u);
            v0 = rows4(vl, vh, sv, 0u);
            kl = kh;
            vl = vh;
        }
        if (DT > 1u) {
            let kh = lq4(bk + vec4<u32>(2u));
            let vh = lq4(bv + vec4<u32>(2u));
            k1 = rows4(kl, kh, sk, 1u);
            v1 = rows4(vl, vh, sv, 1u);
            kl = kh;
            vl = vh;
        }
        if (DT > 2u) {
            let kh = lq4(bk + vec4<u32>(3u));
            let vh = lq4(bv + vec4<u32>(3u));
            k2 = rows4(kl, kh, sk, 2u);
            v2 = rows4(vl, vh, sv, 2u);
            kl = kh;
            vl = vh;
        }
        if (DT > 3u) {
            let kh = lq4(bk + vec4<u32>(4u));
            let vh = lq4(bv + vec4<u32>(4u));
            k3 = rows4(kl, kh, sk, 3u);
            v3 = rows4(vl, vh, sv, 3u);
            kl = kh;
            vl = vh;
        }
        if (DT > 4u) {
            let kh = lq4(bk + vec4<u32>(5u));
            let vh = lq4(bv + vec4<u32>(5u));
            k4 = rows4(kl, kh, sk, 4u);
            v4 = rows4(vl, vh, sv, 4u);
            kl = kh;
            vl = vh;
        }
        if (DT > 5u) {
            let kh = lq4(bk + vec4<u32>(6u));
            let vh = lq4(bv + vec4<u32>(6u));
            k5 = rows4(kl, kh, sk, 5u);
            v5 = rows4(vl, vh, sv, 5u);
            kl = kh;
            vl = vh;
        }
        if (DT > 6u) {
            let kh = lq4(bk + vec4<u32>(7u));
            let vh = lq4(bv + vec4<u32>(7u));
            k6 = rows4(kl, kh, sk, 6u);
            v6 = rows4(vl, vh, sv, 6u);
            kl = kh;
            vl = vh;
        }
        if (DT > 7u) {
            let kh = lq4(bk + vec4<u32>(8u));
            let vh = lq4(bv + vec4<u32>(8u));
            k7 = rows4(kl, kh, sk, 7u);
            v7 = rows4(vl, vh, sv, 7u);
            kl = kh;
            vl = vh;
        }
        for (var i0 = 0u; i0 < p.n; i0 += 8u) {
            let il = min(i0 + lane, p.n - 1u);
            // This lane's query: its q and dout slices texel by texel (twice).
            let qb = ((row0 + il) * st + xq) / 4u;
            let qs = ((row0 + il) * st + xq) % 4u;
            let ob = ((row0 + il) * p.c + xq) / 4u;
            let os = ((row0 + il) * p.c + xq) % 4u;
            var ql = lq(qb);
            var ol = ld(ob);
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
                let qlh = lq(qb + 1u);
                let qt = cut(align(ql, qlh, qs), 0u);
                ql = qlh;
                let olh = ld(ob + 1u);
                let ot = cut(align(ol, olh, os), 0u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k0);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k0);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k0);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k0);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k0);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k0);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k0);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k0);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v0);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v0);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v0);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v0);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v0);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v0);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v0);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v0);
            }
            if (DT > 1u) {
                let qlh = lq(qb + 2u);
                let qt = cut(align(ql, qlh, qs), 1u);
                ql = qlh;
                let olh = ld(ob + 2u);
                let ot = cut(align(ol, olh, os), 1u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k1);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k1);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k1);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k1);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k1);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k1);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k1);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k1);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v1);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v1);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v1);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v1);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v1);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v1);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v1);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v1);
            }
            if (DT > 2u) {
                let qlh = lq(qb + 3u);
                let qt = cut(align(ql, qlh, qs), 2u);
                ql = qlh;
                let olh = ld(ob + 3u);
                let ot = cut(align(ol, olh, os), 2u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k2);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k2);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k2);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k2);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k2);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k2);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k2);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k2);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v2);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v2);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v2);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v2);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v2);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v2);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v2);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v2);
            }
            if (DT > 3u) {
                let qlh = lq(qb + 4u);
                let qt = cut(align(ql, qlh, qs), 3u);
                ql = qlh;
                let olh = ld(ob + 4u);
                let ot = cut(align(ol, olh, os), 3u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k3);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k3);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k3);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k3);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k3);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k3);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k3);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k3);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v3);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v3);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v3);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v3);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v3);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v3);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v3);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v3);
            }
            if (DT > 4u) {
                let qlh = lq(qb + 5u);
                let qt = cut(align(ql, qlh, qs), 4u);
                ql = qlh;
                let olh = ld(ob + 5u);
                let ot = cut(align(ol, olh, os), 4u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k4);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k4);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k4);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k4);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k4);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k4);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k4);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k4);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v4);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v4);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v4);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v4);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v4);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v4);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v4);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v4);
            }
            if (DT > 5u) {
                let qlh = lq(qb + 6u);
                let qt = cut(align(ql, qlh, qs), 5u);
                ql = qlh;
                let olh = ld(ob + 6u);
                let ot = cut(align(ol, olh, os), 5u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k5);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k5);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k5);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k5);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k5);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k5);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k5);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k5);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v5);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v5);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v5);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v5);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v5);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v5);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v5);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v5);
            }
            if (DT > 6u) {
                let qlh = lq(qb + 7u);
                let qt = cut(align(ql, qlh, qs), 6u);
                ql = qlh;
                let olh = ld(ob + 7u);
                let ot = cut(align(ol, olh, os), 6u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k6);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k6);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k6);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k6);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k6);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k6);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k6);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k6);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v6);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v6);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v6);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v6);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v6);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v6);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v6);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v6);
            }
            if (DT > 7u) {
                let qlh = lq(qb + 8u);
                let qt = cut(align(ql, qlh, qs), 7u);
                ql = qlh;
                let olh = ld(ob + 8u);
                let ot = cut(align(ol, olh, os), 7u);
                ol = olh;
                s0 = mac(s0, subgroupBroadcast(qt, 0u), k7);
                s1 = mac(s1, subgroupBroadcast(qt, 1u), k7);
                s2 = mac(s2, subgroupBroadcast(qt, 2u), k7);
                s3 = mac(s3, subgroupBroadcast(qt, 3u), k7);
                s4 = mac(s4, subgroupBroadcast(qt, 4u), k7);
                s5 = mac(s5, subgroupBroadcast(qt, 5u), k7);
                s6 = mac(s6, subgroupBroadcast(qt, 6u), k7);
                s7 = mac(s7, subgroupBroadcast(qt, 7u), k7);
                e0 = mac(e0, subgroupBroadcast(ot, 0u), v7);
                e1 = mac(e1, subgroupBroadcast(ot, 1u), v7);
                e2 = mac(e2, subgroupBroadcast(ot, 2u), v7);
                e3 = mac(e3, subgroupBroadcast(ot, 3u), v7);
                e4 = mac(e4, subgroupBroadcast(ot, 4u), v7);
                e5 = mac(e5, subgroupBroadcast(ot, 5u), v7);
                e6 = mac(e6, subgroupBroadcast(ot, 6u), v7);
                e7 = mac(e7, subgroupBroadcast(ot, 7u), v7);
            }
            let ll = lse[g * p.n + il];
            let dl = dd[g * p.n + il];
            let sc = vec4<f32>(p.scale);
            // Query rows past n (the second half of the last block) are zeroed below.
            let i1 = min(i0 + 4u, p.n - 1u);
            s0 = exp(fma(s0, sc, textureLoad(tb, vec2<u32>(jqc, i0), bl, 0)) - subgroupBroadcast(ll, 0u));
            s1 = exp(fma(s1, sc, textureLoad(tb, vec2<u32>(jqc, i0 + 1u), bl, 0)) - subgroupBroadcast(ll, 1u));
            s2 = exp(fma(s2, sc, textureLoad(tb, vec2<u32>(jqc, i0 + 2u), bl, 0)) - subgroupBroadcast(ll, 2u));
            s3 = exp(fma(s3, sc, textureLoad(tb, vec2<u32>(jqc, i0 + 3u), bl, 0)) - subgroupBroadcast(ll, 3u));
            s4 = exp(fma(s4, sc, textureLoad(tb, vec2<u32>(jqc, i1), bl, 0)) - subgroupBroadcast(ll, 4u));
            s5 = exp(fma(s5, sc, textureLoad(tb, vec2<u32>(jqc, min(i1 + 1u, p.n - 1u)), bl, 0)) - subgroupBroadcast(ll, 5u));
            s6 = exp(fma(s6, sc, textureLoad(tb, vec2<u32>(jqc, min(i1 + 2u, p.n - 1u)), bl, 0)) - subgroupBroadcast(ll, 6u));
            s7 = exp(fma(s7, sc, textureLoad(tb, vec2<u32>(jqc, min(i1 + 3u, p.n - 1u)), bl, 0)) - subgroupBroadcast(ll, 7u));
            if (i0 + 8u > p.n) {
                s4 = vec4<f32>(0.0);
                s5 = vec4<f32>(0.0);
                s6 = vec4<f32>(0.0);
                s7 = vec4<f32>(0.0);
            }
            e0 = s0 * (e0 - subgroupBroadcast(dl, 0u));
            e1 = s1 * (e1 - subgroupBroadcast(dl, 1u));
            e2 = s2 * (e2 - subgroupBroadcast(dl, 2u));
            e3 = s3 * (e3 - subgroupBroadcast(dl, 3u));
            e4 = s4 * (e4 - subgroupBroadcast(dl, 4u));
            e5 = s5 * (e5 - subgroupBroadcast(dl, 5u));
            e6 = s6 * (e6 - subgroupBroadcast(dl, 6u));
            e7 = s7 * (e7 - subgroupBroadcast(dl, 7u));
            // Queries past n have e = 0 (P zeroed above): adding them changes nothing.
            switch (i0 / 8u) {
                case 0u: {
                    ts0 += e0;
                    ts1 += e1;
                    ts2 += e2;
                    ts3 += e3;
                    ts4 += e4;
                    ts5 += e5;
                    ts6 += e6;
                    ts7 += e7;
                }
                case 1u: {
                    ts8 += e0;
                    ts9 += e1;
                    ts10 += e2;
                    ts11 += e3;
                    ts12 += e4;
                    ts13 += e5;
                    ts14 += e6;
                    ts15 += e7;
                }
                case 2u: {
                    ts16 += e0;
                    ts17 += e1;
                    ts18 += e2;
                    ts19 += e3;
                    ts20 += e4;
                    ts21 += e5;
                    ts22 += e6;
                    ts23 += e7;
                }
                case 3u: {
                    ts24 += e0;
                    ts25 += e1;
                    ts26 += e2;
                    ts27 += e3;
                    ts28 += e4;
                    ts29 += e5;
                    ts30 += e6;
                    ts31 += e7;
                }
                case 4u: {
                    ts32 += e0;
                    ts33 += e1;
                    ts34 += e2;
                    ts35 += e3;
                    ts36 += e4;
                    ts37 += e5;
                    ts38 += e6;
                    ts39 += e7;
                }
                case 5u: {
                    ts40 += e0;
                    ts41 += e1;
                    ts42 += e2;
                    ts43 += e3;
                    ts44 += e4;
                    ts45 += e5;
                    ts46 += e6;
                    ts47 += e7;
                }
                case 6u: {
                    ts48 += e0;
                    ts49 += e1;
                    ts50 += e2;
                    ts51 += e3;
                    ts52 += e4;
                    ts53 += e5;
                    ts54 += e6;
                    ts55 += e7;
                }
                case 7u: {
                    ts56 += e0;
                    ts57 += e1;
                    ts58 += e2;
                    ts59 += e3;
                    ts60 += e4;
                    ts61 += e5;
                    ts62 += e6;
                    ts63 += e7;
                }
                default: {}
            }
            ql = lq(qb);
            ol = ld(ob);
            if (DT > 0u) {
                let qlh = lq(qb + 1u);
                let qt = cut(align(ql, qlh, qs), 0u);
                ql = qlh;
                let olh = ld(ob + 1u);
                let ot = cut(align(ol, olh, os), 0u);
                ol = olh;
                dv0 = pv(dv0, s0, subgroupBroadcast(ot, 0u));
                dv0 = pv(dv0, s1, subgroupBroadcast(ot, 1u));
                dv0 = pv(dv0, s2, subgroupBroadcast(ot, 2u));
                dv0 = pv(dv0, s3, subgroupBroadcast(ot, 3u));
                dv0 = pv(dv0, s4, subgroupBroadcast(ot, 4u));
                dv0 = pv(dv0, s5, subgroupBroadcast(ot, 5u));
                dv0 = pv(dv0, s6, subgroupBroadcast(ot, 6u));
                dv0 = pv(dv0, s7, subgroupBroadcast(ot, 7u));
                dk0 = pv(dk0, e0, subgroupBroadcast(qt, 0u));
                dk0 = pv(dk0, e1, subgroupBroadcast(qt, 1u));
                dk0 = pv(dk0, e2, subgroupBroadcast(qt, 2u));
                dk0 = pv(dk0, e3, subgroupBroadcast(qt, 3u));
                dk0 = pv(dk0, e4, subgroupBroadcast(qt, 4u));
                dk0 = pv(dk0, e5, subgroupBroadcast(qt, 5u));
                dk0 = pv(dk0, e6, subgroupBroadcast(qt, 6u));
                dk0 = pv(dk0, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 1u) {
                let qlh = lq(qb + 2u);
                let qt = cut(align(ql, qlh, qs), 1u);
                ql = qlh;
                let olh = ld(ob + 2u);
                let ot = cut(align(ol, olh, os), 1u);
                ol = olh;
                dv1 = pv(dv1, s0, subgroupBroadcast(ot, 0u));
                dv1 = pv(dv1, s1, subgroupBroadcast(ot, 1u));
                dv1 = pv(dv1, s2, subgroupBroadcast(ot, 2u));
                dv1 = pv(dv1, s3, subgroupBroadcast(ot, 3u));
                dv1 = pv(dv1, s4, subgroupBroadcast(ot, 4u));
                dv1 = pv(dv1, s5, subgroupBroadcast(ot, 5u));
                dv1 = pv(dv1, s6, subgroupBroadcast(ot, 6u));
                dv1 = pv(dv1, s7, subgroupBroadcast(ot, 7u));
                dk1 = pv(dk1, e0, subgroupBroadcast(qt, 0u));
                dk1 = pv(dk1, e1, subgroupBroadcast(qt, 1u));
                dk1 = pv(dk1, e2, subgroupBroadcast(qt, 2u));
                dk1 = pv(dk1, e3, subgroupBroadcast(qt, 3u));
                dk1 = pv(dk1, e4, subgroupBroadcast(qt, 4u));
                dk1 = pv(dk1, e5, subgroupBroadcast(qt, 5u));
                dk1 = pv(dk1, e6, subgroupBroadcast(qt, 6u));
                dk1 = pv(dk1, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 2u) {
                let qlh = lq(qb + 3u);
                let qt = cut(align(ql, qlh, qs), 2u);
                ql = qlh;
                let olh = ld(ob + 3u);
                let ot = cut(align(ol, olh, os), 2u);
                ol = olh;
                dv2 = pv(dv2, s0, subgroupBroadcast(ot, 0u));
                dv2 = pv(dv2, s1, subgroupBroadcast(ot, 1u));
                dv2 = pv(dv2, s2, subgroupBroadcast(ot, 2u));
                dv2 = pv(dv2, s3, subgroupBroadcast(ot, 3u));
                dv2 = pv(dv2, s4, subgroupBroadcast(ot, 4u));
                dv2 = pv(dv2, s5, subgroupBroadcast(ot, 5u));
                dv2 = pv(dv2, s6, subgroupBroadcast(ot, 6u));
                dv2 = pv(dv2, s7, subgroupBroadcast(ot, 7u));
                dk2 = pv(dk2, e0, subgroupBroadcast(qt, 0u));
                dk2 = pv(dk2, e1, subgroupBroadcast(qt, 1u));
                dk2 = pv(dk2, e2, subgroupBroadcast(qt, 2u));
                dk2 = pv(dk2, e3, subgroupBroadcast(qt, 3u));
                dk2 = pv(dk2, e4, subgroupBroadcast(qt, 4u));
                dk2 = pv(dk2, e5, subgroupBroadcast(qt, 5u));
                dk2 = pv(dk2, e6, subgroupBroadcast(qt, 6u));
                dk2 = pv(dk2, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 3u) {
                let qlh = lq(qb + 4u);
                let qt = cut(align(ql, qlh, qs), 3u);
                ql = qlh;
                let olh = ld(ob + 4u);
                let ot = cut(align(ol, olh, os), 3u);
                ol = olh;
                dv3 = pv(dv3, s0, subgroupBroadcast(ot, 0u));
                dv3 = pv(dv3, s1, subgroupBroadcast(ot, 1u));
                dv3 = pv(dv3, s2, subgroupBroadcast(ot, 2u));
                dv3 = pv(dv3, s3, subgroupBroadcast(ot, 3u));
                dv3 = pv(dv3, s4, subgroupBroadcast(ot, 4u));
                dv3 = pv(dv3, s5, subgroupBroadcast(ot, 5u));
                dv3 = pv(dv3, s6, subgroupBroadcast(ot, 6u));
                dv3 = pv(dv3, s7, subgroupBroadcast(ot, 7u));
                dk3 = pv(dk3, e0, subgroupBroadcast(qt, 0u));
                dk3 = pv(dk3, e1, subgroupBroadcast(qt, 1u));
                dk3 = pv(dk3, e2, subgroupBroadcast(qt, 2u));
                dk3 = pv(dk3, e3, subgroupBroadcast(qt, 3u));
                dk3 = pv(dk3, e4, subgroupBroadcast(qt, 4u));
                dk3 = pv(dk3, e5, subgroupBroadcast(qt, 5u));
                dk3 = pv(dk3, e6, subgroupBroadcast(qt, 6u));
                dk3 = pv(dk3, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 4u) {
                let qlh = lq(qb + 5u);
                let qt = cut(align(ql, qlh, qs), 4u);
                ql = qlh;
                let olh = ld(ob + 5u);
                let ot = cut(align(ol, olh, os), 4u);
                ol = olh;
                dv4 = pv(dv4, s0, subgroupBroadcast(ot, 0u));
                dv4 = pv(dv4, s1, subgroupBroadcast(ot, 1u));
                dv4 = pv(dv4, s2, subgroupBroadcast(ot, 2u));
                dv4 = pv(dv4, s3, subgroupBroadcast(ot, 3u));
                dv4 = pv(dv4, s4, subgroupBroadcast(ot, 4u));
                dv4 = pv(dv4, s5, subgroupBroadcast(ot, 5u));
                dv4 = pv(dv4, s6, subgroupBroadcast(ot, 6u));
                dv4 = pv(dv4, s7, subgroupBroadcast(ot, 7u));
                dk4 = pv(dk4, e0, subgroupBroadcast(qt, 0u));
                dk4 = pv(dk4, e1, subgroupBroadcast(qt, 1u));
                dk4 = pv(dk4, e2, subgroupBroadcast(qt, 2u));
                dk4 = pv(dk4, e3, subgroupBroadcast(qt, 3u));
                dk4 = pv(dk4, e4, subgroupBroadcast(qt, 4u));
                dk4 = pv(dk4, e5, subgroupBroadcast(qt, 5u));
                dk4 = pv(dk4, e6, subgroupBroadcast(qt, 6u));
                dk4 = pv(dk4, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 5u) {
                let qlh = lq(qb + 6u);
                let qt = cut(align(ql, qlh, qs), 5u);
                ql = qlh;
                let olh = ld(ob + 6u);
                let ot = cut(align(ol, olh, os), 5u);
                ol = olh;
                dv5 = pv(dv5, s0, subgroupBroadcast(ot, 0u));
                dv5 = pv(dv5, s1, subgroupBroadcast(ot, 1u));
                dv5 = pv(dv5, s2, subgroupBroadcast(ot, 2u));
                dv5 = pv(dv5, s3, subgroupBroadcast(ot, 3u));
                dv5 = pv(dv5, s4, subgroupBroadcast(ot, 4u));
                dv5 = pv(dv5, s5, subgroupBroadcast(ot, 5u));
                dv5 = pv(dv5, s6, subgroupBroadcast(ot, 6u));
                dv5 = pv(dv5, s7, subgroupBroadcast(ot, 7u));
                dk5 = pv(dk5, e0, subgroupBroadcast(qt, 0u));
                dk5 = pv(dk5, e1, subgroupBroadcast(qt, 1u));
                dk5 = pv(dk5, e2, subgroupBroadcast(qt, 2u));
                dk5 = pv(dk5, e3, subgroupBroadcast(qt, 3u));
                dk5 = pv(dk5, e4, subgroupBroadcast(qt, 4u));
                dk5 = pv(dk5, e5, subgroupBroadcast(qt, 5u));
                dk5 = pv(dk5, e6, subgroupBroadcast(qt, 6u));
                dk5 = pv(dk5, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 6u) {
                let qlh = lq(qb + 7u);
                let qt = cut(align(ql, qlh, qs), 6u);
                ql = qlh;
                let olh = ld(ob + 7u);
                let ot = cut(align(ol, olh, os), 6u);
                ol = olh;
                dv6 = pv(dv6, s0, subgroupBroadcast(ot, 0u));
                dv6 = pv(dv6, s1, subgroupBroadcast(ot, 1u));
                dv6 = pv(dv6, s2, subgroupBroadcast(ot, 2u));
                dv6 = pv(dv6, s3, subgroupBroadcast(ot, 3u));
                dv6 = pv(dv6, s4, subgroupBroadcast(ot, 4u));
                dv6 = pv(dv6, s5, subgroupBroadcast(ot, 5u));
                dv6 = pv(dv6, s6, subgroupBroadcast(ot, 6u));
                dv6 = pv(dv6, s7, subgroupBroadcast(ot, 7u));
                dk6 = pv(dk6, e0, subgroupBroadcast(qt, 0u));
                dk6 = pv(dk6, e1, subgroupBroadcast(qt, 1u));
                dk6 = pv(dk6, e2, subgroupBroadcast(qt, 2u));
                dk6 = pv(dk6, e3, subgroupBroadcast(qt, 3u));
                dk6 = pv(dk6, e4, subgroupBroadcast(qt, 4u));
                dk6 = pv(dk6, e5, subgroupBroadcast(qt, 5u));
                dk6 = pv(dk6, e6, subgroupBroadcast(qt, 6u));
                dk6 = pv(dk6, e7, subgroupBroadcast(qt, 7u));
            }
            if (DT > 7u) {
                let qlh = lq(qb + 8u);
                let qt = cut(align(ql, qlh, qs), 7u);
                ql = qlh;
                let olh = ld(ob + 8u);
                let ot = cut(align(ol, olh, os), 7u);
                ol = olh;
                dv7 = pv(dv7, s0, subgroupBroadcast(ot, 0u));
                dv7 = pv(dv7, s1, subgroupBroadcast(ot, 1u));
                dv7 = pv(dv7, s2, subgroupBroadcast(ot, 2u));
                dv7 = pv(dv7, s3, subgroupBroadcast(ot, 3u));
                dv7 = pv(dv7, s4, subgroupBroadcast(ot, 4u));
                dv7 = pv(dv7, s5, subgroupBroadcast(ot, 5u));
                dv7 = pv(dv7, s6, subgroupBroadcast(ot, 6u));
                dv7 = pv(dv7, s7, subgroupBroadcast(ot, 7u));
                dk7 = pv(dk7, e0, subgroupBroadcast(qt, 0u));
                dk7 = pv(dk7, e1, subgroupBroadcast(qt, 1u));
                dk7 = pv(dk7, e2, subgroupBroadcast(qt, 2u));
                dk7 = pv(dk7, e3, subgroupBroadcast(qt, 3u));
                dk7 = pv(dk7, e4, subgroupBroadcast(qt, 4u));
                dk7 = pv(dk7, e5, subgroupBroadcast(qt, 5u));
                dk7 = pv(dk7, e6, subgroupBroadcast(qt, 6u));
                dk7 = pv(dk7, e7, subgroupBroadcast(qt, 7u));
            }
        }
        if (valid) {
            for (var c = 0u; c < 4u; c++) {
                let base = (window * p.n + 4u * jq + c) * 3u * p.c + head * p.hd;
                if (DT > 0u) {
                    store(base, 0u, dk0, dv0, c);
                }
                if (DT > 1u) {
                    store(base, 1u, dk1, dv1, c);
                }
                if (DT > 2u) {
                    store(base, 2u, dk2, dv2, c);
                }
                if (DT > 3u) {
                    store(base, 3u, dk3, dv3, c);
                }
                if (DT > 4u) {
                    store(base, 4u, dk4, dv4, c);
                }
                if (DT > 5u) {
                    store(base, 5u, dk5, dv5, c);
                }
                if (DT > 6u) {
                    store(base, 6u, dk6, dv6, c);
                }
                if (DT > 7u) {
                    store(base, 7u, dk7, dv7, c);
                }
            }
        }
    }
    if (valid) {
        let at = wid.y * p.n * nq + jq;
        if (0u < p.n) { dsum[at + 0u * nq] = ts0; }
        if (1u < p.n) { dsum[at + 1u * nq] = ts1; }
        if (2u < p.n) { dsum[at + 2u * nq] = ts2; }
        if (3u < p.n) { dsum[at + 3u * nq] = ts3; }
        if (4u < p.n) { dsum[at + 4u * nq] = ts4; }
        if (5u < p.n) { dsum[at + 5u * nq] = ts5; }
        if (6u < p.n) { dsum[at + 6u * nq] = ts6; }
        if (7u < p.n) { dsum[at + 7u * nq] = ts7; }
        if (8u < p.n) { dsum[at + 8u * nq] = ts8; }
        if (9u < p.n) { dsum[at + 9u * nq] = ts9; }
        if (10u < p.n) { dsum[at + 10u * nq] = ts10; }
        if (11u < p.n) { dsum[at + 11u * nq] = ts11; }
        if (12u < p.n) { dsum[at + 12u * nq] = ts12; }
        if (13u < p.n) { dsum[at + 13u * nq] = ts13; }
        if (14u < p.n) { dsum[at + 14u * nq] = ts14; }
        if (15u < p.n) { dsum[at + 15u * nq] = ts15; }
        if (16u < p.n) { dsum[at + 16u * nq] = ts16; }
        if (17u < p.n) { dsum[at + 17u * nq] = ts17; }
        if (18u < p.n) { dsum[at + 18u * nq] = ts18; }
        if (19u < p.n) { dsum[at + 19u * nq] = ts19; }
        if (20u < p.n) { dsum[at + 20u * nq] = ts20; }
        if (21u < p.n) { dsum[at + 21u * nq] = ts21; }
        if (22u < p.n) { dsum[at + 22u * nq] = ts22; }
        if (23u < p.n) { dsum[at + 23u * nq] = ts23; }
        if (24u < p.n) { dsum[at + 24u * nq] = ts24; }
        if (25u < p.n) { dsum[at + 25u * nq] = ts25; }
        if (26u < p.n) { dsum[at + 26u * nq] = ts26; }
        if (27u < p.n) { dsum[at + 27u * nq] = ts27; }
        if (28u < p.n) { dsum[at + 28u * nq] = ts28; }
        if (29u < p.n) { dsum[at + 29u * nq] = ts29; }
        if (30u < p.n) { dsum[at + 30u * nq] = ts30; }
        if (31u < p.n) { dsum[at + 31u * nq] = ts31; }
        if (32u < p.n) { dsum[at + 32u * nq] = ts32; }
        if (33u < p.n) { dsum[at + 33u * nq] = ts33; }
        if (34u < p.n) { dsum[at + 34u * nq] = ts34; }
        if (35u < p.n) { dsum[at + 35u * nq] = ts35; }
        if (36u < p.n) { dsum[at + 36u * nq] = ts36; }
        if (37u < p.n) { dsum[at + 37u * nq] = ts37; }
        if (38u < p.n) { dsum[at + 38u * nq] = ts38; }
        if (39u < p.n) { dsum[at + 39u * nq] = ts39; }
        if (40u < p.n) { dsum[at + 40u * nq] = ts40; }
        if (41u < p.n) { dsum[at + 41u * nq] = ts41; }
        if (42u < p.n) { dsum[at + 42u * nq] = ts42; }
        if (43u < p.n) { dsum[at + 43u * nq] = ts43; }
        if (44u < p.n) { dsum[at + 44u * nq] = ts44; }
        if (45u < p.n) { dsum[at + 45u * nq] = ts45; }
        if (46u < p.n) { dsum[at + 46u * nq] = ts46; }
        if (47u < p.n) { dsum[at + 47u * nq] = ts47; }
        if (48u < p.n) { dsum[at + 48u * nq] = ts48; }
        if (49u < p.n) { dsum[at + 49u * nq] = ts49; }
        if (50u < p.n) { dsum[at + 50u * nq] = ts50; }
        if (51u < p.n) { dsum[at + 51u * nq] = ts51; }
        if (52u < p.n) { dsum[at + 52u * nq] = ts52; }
        if (53u < p.n) { dsum[at + 53u * nq] = ts53; }
        if (54u < p.n) { dsum[at + 54u * nq] = ts54; }
        if (55u < p.n) { dsum[at + 55u * nq] = ts55; }
        if (56u < p.n) { dsum[at + 56u * nq] = ts56; }
        if (57u < p.n) { dsum[at + 57u * nq] = ts57; }
        if (58u < p.n) { dsum[at + 58u * nq] = ts58; }
        if (59u < p.n) { dsum[at + 59u * nq] = ts59; }
        if (60u < p.n) { dsum[at + 60u * nq] = ts60; }
        if (61u < p.n) { dsum[at + 61u * nq] = ts61; }
        if (62u < p.n) { dsum[at + 62u * nq] = ts62; }
        if (63u < p.n) { dsum[at + 63u * nq] = ts63; }
    }
}
