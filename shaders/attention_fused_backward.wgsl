// Fused window attention backward in one kernel: each lane owns two quads of keys (keys
// 4 lane + c and 32 + 4 lane + c, c < 4: the whole window of up to 64 keys in one 8-lane
// workgroup) of one head and walks the queries in blocks of 8, one query per lane, computing
//   P = exp(scale q k^T + bias - lse)  (lse from the forward),
//   D = rowsum(dout * out)  (the lane's query, summed while its dout texels are read),
//   dP = dout v^T, dS = P (dP - D),
//   dv_j = sum_i P_ij dout_i,  dk_j = scale sum_i dS_ij q_i  (in registers per window),
//   dq_i = scale sum_j dS_ij k_j  (each lane's partial over its 8 keys, summed across the
//          8 lanes by a reduce-scatter of subgroupShuffleXor steps that leaves lane l with
//          query i0 + l's sum, stored at once),
// so nothing of size n x n goes through memory and P, dP and dS are computed once (the
// query-row / key-side pair this replaces computed them twice).
// q and dout rows are fetched one texel per lane and shared by subgroupBroadcast, each
// broadcast value feeding both key quads; bias + mask texels (tb) are 4 keys wide.
// tq holds q, k, v; td holds dout then out (from texel obase on); tb the bias + mask.
// A workgroup walks WC windows of one head in order (layer wid.y = head + heads * chunk) and
// sums dS over them per (query, key) in registers: the chunk's partial sums [chunks, heads,
// n, n] go to the deterministic bias-table gradient. Needs n <= 64 and 8-lane subgroups
// (lanes 0..7 of a wider one); shuffles with masks 4, 2, 1 stay inside those 8 lanes.
// The head_dim texels are written out as 8 guarded copies (`if (DT > t)`, folded when the
// pipeline is created) with named registers: with arrays indexed by a loop counter lavapipe
// keeps operands and accumulators in per-lane scratch memory (~2x slower).
override DT: u32 = 8u;
const WC: u32 = 16u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, obase: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> dsum: array<vec4<f32>>;
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

// One reduce-scatter step: the lanes with `up` keep hi and send lo to lane ^ mask, the others
// keep lo and send hi; each adds what it receives to what it keeps.
fn rs(lo: vec4<f32>, hi: vec4<f32>, up: bool, mask: u32) -> vec4<f32> {
    return select(lo, hi, up) + subgroupShuffleXor(select(hi, lo, up), mask);
}

// The sum over the 8 lanes of x{lane}: x0 .. x7 are each lane's values for the 8 queries.
fn reduce8(x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>, x4: vec4<f32>, x5: vec4<f32>,
           x6: vec4<f32>, x7: vec4<f32>, lane: u32) -> vec4<f32> {
    let u4 = (lane & 4u) != 0u;
    let r0 = rs(x0, x4, u4, 4u);
    let r1 = rs(x1, x5, u4, 4u);
    let r2 = rs(x2, x6, u4, 4u);
    let r3 = rs(x3, x7, u4, 4u);
    let u2 = (lane & 2u) != 0u;
    let h0 = rs(r0, r2, u2, 2u);
    let h1 = rs(r1, r3, u2, 2u);
    return rs(h0, h1, (lane & 1u) != 0u, 1u);
}

fn window_type(window: u32) -> u32 {
    if (p.shift == 0u) { return 0u; }
    let wl = window % (p.nwx * p.nwy);
    return u32(wl / p.nwx == p.nwy - 1u) * 2u + u32(wl % p.nwx == p.nwx - 1u);
}

// dk (scaled) and dv of key c at the head_dim values d = 4t + e < hd.
fn store_kv(base: u32, t: u32, dk: mat4x4<f32>, dv: mat4x4<f32>, c: u32) {
    for (var e = 0u; e < 4u; e++) {
        let d = 4u * t + e;
        if (d < p.hd) {
            dqkv[base + p.c + d] = dk[e][c] * p.scale;
            dqkv[base + 2u * p.c + d] = dv[e][c];
        }
    }
}

// dq (scaled) at the head_dim values d = 4t + e < hd.
fn store_q(base: u32, t: u32, dq: vec4<f32>) {
    for (var e = 0u; e < 4u; e++) {
        if (4u * t + e < p.hd) {
            dqkv[base + 4u * t + e] = dq[e] * p.scale;
        }
    }
}

@compute @workgroup_size(8)
fn attention_fused_backward(@builtin(workgroup_id) wid: vec3<u32>,
                            @builtin(subgroup_invocation_id) lane: u32) {
    let head = wid.y % p.heads;
    let chunk = wid.y / p.heads;
    let windows = p.groups / p.heads;
    let nq = p.n / 4u;
    // The lane's key quads a (lane) and b (lane + 8); quads past n/4 are computed on a
    // clamped copy, never stored, and their dS zeroed before it reaches dq.
    let qa = lane;
    let qb = lane + 8u;
    let va = qa < nq;
    let vb = qb < nq;
    let qac = min(qa, nq - 1u);
    let qbc = min(qb, nq - 1u);
    let st = 3u * p.c;
    let xq = head * p.hd;
    let xk = p.c + xq;
    let xv = 2u * p.c + xq;
    let xo = 4u * p.obase + xq;
    // dS summed over the chunk's windows, per query i and quad (ta{i}, tb{i}): named registers
    // selected by a uniform switch on the query block (an array indexed by i went to per-lane
    // scratch).
    var ta0 = vec4<f32>(0.0);
    var ta1 = vec4<f32>(0.0);
    var ta2 = vec4<f32>(0.0);
    var ta3 = vec4<f32>(0.0);
    var ta4 = vec4<f32>(0.0);
    var ta5 = vec4<f32>(0.0);
    var ta6 = vec4<f32>(0.0);
    var ta7 = vec4<f32>(0.0);
    var ta8 = vec4<f32>(0.0);
    var ta9 = vec4<f32>(0.0);
    var ta10 = vec4<f32>(0.0);
    var ta11 = vec4<f32>(0.0);
    var ta12 = vec4<f32>(0.0);
    var ta13 = vec4<f32>(0.0);
    var ta14 = vec4<f32>(0.0);
    var ta15 = vec4<f32>(0.0);
    var ta16 = vec4<f32>(0.0);
    var ta17 = vec4<f32>(0.0);
    var ta18 = vec4<f32>(0.0);
    var ta19 = vec4<f32>(0.0);
    var ta20 = vec4<f32>(0.0);
    var ta21 = vec4<f32>(0.0);
    var ta22 = vec4<f32>(0.0);
    var ta23 = vec4<f32>(0.0);
    var ta24 = vec4<f32>(0.0);
    var ta25 = vec4<f32>(0.0);
    var ta26 = vec4<f32>(0.0);
    var ta27 = vec4<f32>(0.0);
    var ta28 = vec4<f32>(0.0);
    var ta29 = vec4<f32>(0.0);
    var ta30 = vec4<f32>(0.0);
    var ta31 = vec4<f32>(0.0);
    var ta32 = vec4<f32>(0.0);
    var ta33 = vec4<f32>(0.0);
    var ta34 = vec4<f32>(0.0);
    var ta35 = vec4<f32>(0.0);
    var ta36 = vec4<f32>(0.0);
    var ta37 = vec4<f32>(0.0);
    var ta38 = vec4<f32>(0.0);
    var ta39 = vec4<f32>(0.0);
    var ta40 = vec4<f32>(0.0);
    var ta41 = vec4<f32>(0.0);
    var ta42 = vec4<f32>(0.0);
    var ta43 = vec4<f32>(0.0);
    var ta44 = vec4<f32>(0.0);
    var ta45 = vec4<f32>(0.0);
    var ta46 = vec4<f32>(0.0);
    var ta47 = vec4<f32>(0.0);
    var ta48 = vec4<f32>(0.0);
    var ta49 = vec4<f32>(0.0);
    var ta50 = vec4<f32>(0.0);
    var ta51 = vec4<f32>(0.0);
    var ta52 = vec4<f32>(0.0);
    var ta53 = vec4<f32>(0.0);
    var ta54 = vec4<f32>(0.0);
    var ta55 = vec4<f32>(0.0);
    var ta56 = vec4<f32>(0.0);
    var ta57 = vec4<f32>(0.0);
    var ta58 = vec4<f32>(0.0);
    var ta59 = vec4<f32>(0.0);
    var ta60 = vec4<f32>(0.0);
    var ta61 = vec4<f32>(0.0);
    var ta62 = vec4<f32>(0.0);
    var ta63 = vec4<f32>(0.0);
    var tb0 = vec4<f32>(0.0);
    var tb1 = vec4<f32>(0.0);
    var tb2 = vec4<f32>(0.0);
    var tb3 = vec4<f32>(0.0);
    var tb4 = vec4<f32>(0.0);
    var tb5 = vec4<f32>(0.0);
    var tb6 = vec4<f32>(0.0);
    var tb7 = vec4<f32>(0.0);
    var tb8 = vec4<f32>(0.0);
    var tb9 = vec4<f32>(0.0);
    var tb10 = vec4<f32>(0.0);
    var tb11 = vec4<f32>(0.0);
    var tb12 = vec4<f32>(0.0);
    var tb13 = vec4<f32>(0.0);
    var tb14 = vec4<f32>(0.0);
    var tb15 = vec4<f32>(0.0);
    var tb16 = vec4<f32>(0.0);
    var tb17 = vec4<f32>(0.0);
    var tb18 = vec4<f32>(0.0);
    var tb19 = vec4<f32>(0.0);
    var tb20 = vec4<f32>(0.0);
    var tb21 = vec4<f32>(0.0);
    var tb22 = vec4<f32>(0.0);
    var tb23 = vec4<f32>(0.0);
    var tb24 = vec4<f32>(0.0);
    var tb25 = vec4<f32>(0.0);
    var tb26 = vec4<f32>(0.0);
    var tb27 = vec4<f32>(0.0);
    var tb28 = vec4<f32>(0.0);
    var tb29 = vec4<f32>(0.0);
    var tb30 = vec4<f32>(0.0);
    var tb31 = vec4<f32>(0.0);
    var tb32 = vec4<f32>(0.0);
    var tb33 = vec4<f32>(0.0);
    var tb34 = vec4<f32>(0.0);
    var tb35 = vec4<f32>(0.0);
    var tb36 = vec4<f32>(0.0);
    var tb37 = vec4<f32>(0.0);
    var tb38 = vec4<f32>(0.0);
    var tb39 = vec4<f32>(0.0);
    var tb40 = vec4<f32>(0.0);
    var tb41 = vec4<f32>(0.0);
    var tb42 = vec4<f32>(0.0);
    var tb43 = vec4<f32>(0.0);
    var tb44 = vec4<f32>(0.0);
    var tb45 = vec4<f32>(0.0);
    var tb46 = vec4<f32>(0.0);
    var tb47 = vec4<f32>(0.0);
    var tb48 = vec4<f32>(0.0);
    var tb49 = vec4<f32>(0.0);
    var tb50 = vec4<f32>(0.0);
    var tb51 = vec4<f32>(0.0);
    var tb52 = vec4<f32>(0.0);
    var tb53 = vec4<f32>(0.0);
    var tb54 = vec4<f32>(0.0);
    var tb55 = vec4<f32>(0.0);
    var tb56 = vec4<f32>(0.0);
    var tb57 = vec4<f32>(0.0);
    var tb58 = vec4<f32>(0.0);
    var tb59 = vec4<f32>(0.0);
    var tb60 = vec4<f32>(0.0);
    var tb61 = vec4<f32>(0.0);
    var tb62 = vec4<f32>(0.0);
    var tb63 = vec4<f32>(0.0);
    let zero = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    let w1 = min(chunk * WC + WC, windows);
    for (var window = chunk * WC; window < w1; window++) {
        let g = window * p.heads + head;
        let row0 = window * p.n;
        let bl = window_type(window) * p.heads + head;
        var ka0 = zero;
        var va0 = zero;
        var dka0 = zero;
        var dva0 = zero;
        var kb0 = zero;
        var vb0 = zero;
        var dkb0 = zero;
        var dvb0 = zero;
        var ka1 = zero;
        var va1 = zero;
        var dka1 = zero;
        var dva1 = zero;
        var kb1 = zero;
        var vb1 = zero;
        var dkb1 = zero;
        var dvb1 = zero;
        var ka2 = zero;
        var va2 = zero;
        var dka2 = zero;
        var dva2 = zero;
        var kb2 = zero;
        var vb2 = zero;
        var dkb2 = zero;
        var dvb2 = zero;
        var ka3 = zero;
        var va3 = zero;
        var dka3 = zero;
        var dva3 = zero;
        var kb3 = zero;
        var vb3 = zero;
        var dkb3 = zero;
        var dvb3 = zero;
        var ka4 = zero;
        var va4 = zero;
        var dka4 = zero;
        var dva4 = zero;
        var kb4 = zero;
        var vb4 = zero;
        var dkb4 = zero;
        var dvb4 = zero;
        var ka5 = zero;
        var va5 = zero;
        var dka5 = zero;
        var dva5 = zero;
        var kb5 = zero;
        var vb5 = zero;
        var dkb5 = zero;
        var dvb5 = zero;
        var ka6 = zero;
        var va6 = zero;
        var dka6 = zero;
        var dva6 = zero;
        var kb6 = zero;
        var vb6 = zero;
        var dkb6 = zero;
        var dvb6 = zero;
        var ka7 = zero;
        var va7 = zero;
        var dka7 = zero;
        var dva7 = zero;
        var kb7 = zero;
        var vb7 = zero;
        var dkb7 = zero;
        var dvb7 = zero;
        // The lane's keys' k and v, fetched once per window.
        let ea = (vec4<u32>(row0 + 4u * qac) + vec4<u32>(0u, 1u, 2u, 3u)) * st;
        let bka = (ea + vec4<u32>(xk)) / 4u;
        let ska = (ea + vec4<u32>(xk)) % 4u;
        let bva = (ea + vec4<u32>(xv)) / 4u;
        let sva = (ea + vec4<u32>(xv)) % 4u;
        var kla = lq4(bka);
        var vla = lq4(bva);
        let eb = (vec4<u32>(row0 + 4u * qbc) + vec4<u32>(0u, 1u, 2u, 3u)) * st;
        let bkb = (eb + vec4<u32>(xk)) / 4u;
        let skb = (eb + vec4<u32>(xk)) % 4u;
        let bvb = (eb + vec4<u32>(xv)) / 4u;
        let svb = (eb + vec4<u32>(xv)) % 4u;
        var klb = lq4(bkb);
        var vlb = lq4(bvb);
        if (DT > 0u) {
            let kha = lq4(bka + vec4<u32>(1u));
            let vha = lq4(bva + vec4<u32>(1u));
            ka0 = rows4(kla, kha, ska, 0u);
            va0 = rows4(vla, vha, sva, 0u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(1u));
            let vhb = lq4(bvb + vec4<u32>(1u));
            kb0 = rows4(klb, khb, skb, 0u);
            vb0 = rows4(vlb, vhb, svb, 0u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 1u) {
            let kha = lq4(bka + vec4<u32>(2u));
            let vha = lq4(bva + vec4<u32>(2u));
            ka1 = rows4(kla, kha, ska, 1u);
            va1 = rows4(vla, vha, sva, 1u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(2u));
            let vhb = lq4(bvb + vec4<u32>(2u));
            kb1 = rows4(klb, khb, skb, 1u);
            vb1 = rows4(vlb, vhb, svb, 1u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 2u) {
            let kha = lq4(bka + vec4<u32>(3u));
            let vha = lq4(bva + vec4<u32>(3u));
            ka2 = rows4(kla, kha, ska, 2u);
            va2 = rows4(vla, vha, sva, 2u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(3u));
            let vhb = lq4(bvb + vec4<u32>(3u));
            kb2 = rows4(klb, khb, skb, 2u);
            vb2 = rows4(vlb, vhb, svb, 2u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 3u) {
            let kha = lq4(bka + vec4<u32>(4u));
            let vha = lq4(bva + vec4<u32>(4u));
            ka3 = rows4(kla, kha, ska, 3u);
            va3 = rows4(vla, vha, sva, 3u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(4u));
            let vhb = lq4(bvb + vec4<u32>(4u));
            kb3 = rows4(klb, khb, skb, 3u);
            vb3 = rows4(vlb, vhb, svb, 3u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 4u) {
            let kha = lq4(bka + vec4<u32>(5u));
            let vha = lq4(bva + vec4<u32>(5u));
            ka4 = rows4(kla, kha, ska, 4u);
            va4 = rows4(vla, vha, sva, 4u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(5u));
            let vhb = lq4(bvb + vec4<u32>(5u));
            kb4 = rows4(klb, khb, skb, 4u);
            vb4 = rows4(vlb, vhb, svb, 4u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 5u) {
            let kha = lq4(bka + vec4<u32>(6u));
            let vha = lq4(bva + vec4<u32>(6u));
            ka5 = rows4(kla, kha, ska, 5u);
            va5 = rows4(vla, vha, sva, 5u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(6u));
            let vhb = lq4(bvb + vec4<u32>(6u));
            kb5 = rows4(klb, khb, skb, 5u);
            vb5 = rows4(vlb, vhb, svb, 5u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 6u) {
            let kha = lq4(bka + vec4<u32>(7u));
            let vha = lq4(bva + vec4<u32>(7u));
            ka6 = rows4(kla, kha, ska, 6u);
            va6 = rows4(vla, vha, sva, 6u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(7u));
            let vhb = lq4(bvb + vec4<u32>(7u));
            kb6 = rows4(klb, khb, skb, 6u);
            vb6 = rows4(vlb, vhb, svb, 6u);
            klb = khb;
            vlb = vhb;
        }
        if (DT > 7u) {
            let kha = lq4(bka + vec4<u32>(8u));
            let vha = lq4(bva + vec4<u32>(8u));
            ka7 = rows4(kla, kha, ska, 7u);
            va7 = rows4(vla, vha, sva, 7u);
            kla = kha;
            vla = vha;
            let khb = lq4(bkb + vec4<u32>(8u));
            let vhb = lq4(bvb + vec4<u32>(8u));
            kb7 = rows4(klb, khb, skb, 7u);
            vb7 = rows4(vlb, vhb, svb, 7u);
            klb = khb;
            vlb = vhb;
        }
        for (var i0 = 0u; i0 < p.n; i0 += 8u) {
            let il = min(i0 + lane, p.n - 1u);
            // This lane's query: its q and dout slices texel by texel (twice), out once.
            let qbase = ((row0 + il) * st + xq) / 4u;
            let qs = ((row0 + il) * st + xq) % 4u;
            let obase = ((row0 + il) * p.c + xq) / 4u;
            let os = ((row0 + il) * p.c + xq) % 4u;
            let rbase = ((row0 + il) * p.c + xo) / 4u;
            let rs0 = ((row0 + il) * p.c + xo) % 4u;
            var ql = lq(qbase);
            var ol = ld(obase);
            var rl = ld(rbase);
            var dl = 0.0;
            var sa0 = vec4<f32>(0.0);
            var sa1 = vec4<f32>(0.0);
            var sa2 = vec4<f32>(0.0);
            var sa3 = vec4<f32>(0.0);
            var sa4 = vec4<f32>(0.0);
            var sa5 = vec4<f32>(0.0);
            var sa6 = vec4<f32>(0.0);
            var sa7 = vec4<f32>(0.0);
            var ea0 = vec4<f32>(0.0);
            var ea1 = vec4<f32>(0.0);
            var ea2 = vec4<f32>(0.0);
            var ea3 = vec4<f32>(0.0);
            var ea4 = vec4<f32>(0.0);
            var ea5 = vec4<f32>(0.0);
            var ea6 = vec4<f32>(0.0);
            var ea7 = vec4<f32>(0.0);
            var sb0 = vec4<f32>(0.0);
            var sb1 = vec4<f32>(0.0);
            var sb2 = vec4<f32>(0.0);
            var sb3 = vec4<f32>(0.0);
            var sb4 = vec4<f32>(0.0);
            var sb5 = vec4<f32>(0.0);
            var sb6 = vec4<f32>(0.0);
            var sb7 = vec4<f32>(0.0);
            var eb0 = vec4<f32>(0.0);
            var eb1 = vec4<f32>(0.0);
            var eb2 = vec4<f32>(0.0);
            var eb3 = vec4<f32>(0.0);
            var eb4 = vec4<f32>(0.0);
            var eb5 = vec4<f32>(0.0);
            var eb6 = vec4<f32>(0.0);
            var eb7 = vec4<f32>(0.0);
            if (DT > 0u) {
                let qlh = lq(qbase + 1u);
                let qt = cut(align(ql, qlh, qs), 0u);
                ql = qlh;
                let olh = ld(obase + 1u);
                let ot = cut(align(ol, olh, os), 0u);
                ol = olh;
                let rlh = ld(rbase + 1u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 0u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka0);
                sb0 = mac(sb0, q0, kb0);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka0);
                sb1 = mac(sb1, q1, kb0);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka0);
                sb2 = mac(sb2, q2, kb0);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka0);
                sb3 = mac(sb3, q3, kb0);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka0);
                sb4 = mac(sb4, q4, kb0);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka0);
                sb5 = mac(sb5, q5, kb0);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka0);
                sb6 = mac(sb6, q6, kb0);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka0);
                sb7 = mac(sb7, q7, kb0);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va0);
                eb0 = mac(eb0, o0, vb0);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va0);
                eb1 = mac(eb1, o1, vb0);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va0);
                eb2 = mac(eb2, o2, vb0);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va0);
                eb3 = mac(eb3, o3, vb0);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va0);
                eb4 = mac(eb4, o4, vb0);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va0);
                eb5 = mac(eb5, o5, vb0);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va0);
                eb6 = mac(eb6, o6, vb0);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va0);
                eb7 = mac(eb7, o7, vb0);
            }
            if (DT > 1u) {
                let qlh = lq(qbase + 2u);
                let qt = cut(align(ql, qlh, qs), 1u);
                ql = qlh;
                let olh = ld(obase + 2u);
                let ot = cut(align(ol, olh, os), 1u);
                ol = olh;
                let rlh = ld(rbase + 2u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 1u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka1);
                sb0 = mac(sb0, q0, kb1);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka1);
                sb1 = mac(sb1, q1, kb1);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka1);
                sb2 = mac(sb2, q2, kb1);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka1);
                sb3 = mac(sb3, q3, kb1);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka1);
                sb4 = mac(sb4, q4, kb1);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka1);
                sb5 = mac(sb5, q5, kb1);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka1);
                sb6 = mac(sb6, q6, kb1);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka1);
                sb7 = mac(sb7, q7, kb1);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va1);
                eb0 = mac(eb0, o0, vb1);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va1);
                eb1 = mac(eb1, o1, vb1);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va1);
                eb2 = mac(eb2, o2, vb1);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va1);
                eb3 = mac(eb3, o3, vb1);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va1);
                eb4 = mac(eb4, o4, vb1);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va1);
                eb5 = mac(eb5, o5, vb1);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va1);
                eb6 = mac(eb6, o6, vb1);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va1);
                eb7 = mac(eb7, o7, vb1);
            }
            if (DT > 2u) {
                let qlh = lq(qbase + 3u);
                let qt = cut(align(ql, qlh, qs), 2u);
                ql = qlh;
                let olh = ld(obase + 3u);
                let ot = cut(align(ol, olh, os), 2u);
                ol = olh;
                let rlh = ld(rbase + 3u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 2u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka2);
                sb0 = mac(sb0, q0, kb2);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka2);
                sb1 = mac(sb1, q1, kb2);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka2);
                sb2 = mac(sb2, q2, kb2);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka2);
                sb3 = mac(sb3, q3, kb2);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka2);
                sb4 = mac(sb4, q4, kb2);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka2);
                sb5 = mac(sb5, q5, kb2);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka2);
                sb6 = mac(sb6, q6, kb2);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka2);
                sb7 = mac(sb7, q7, kb2);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va2);
                eb0 = mac(eb0, o0, vb2);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va2);
                eb1 = mac(eb1, o1, vb2);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va2);
                eb2 = mac(eb2, o2, vb2);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va2);
                eb3 = mac(eb3, o3, vb2);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va2);
                eb4 = mac(eb4, o4, vb2);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va2);
                eb5 = mac(eb5, o5, vb2);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va2);
                eb6 = mac(eb6, o6, vb2);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va2);
                eb7 = mac(eb7, o7, vb2);
            }
            if (DT > 3u) {
                let qlh = lq(qbase + 4u);
                let qt = cut(align(ql, qlh, qs), 3u);
                ql = qlh;
                let olh = ld(obase + 4u);
                let ot = cut(align(ol, olh, os), 3u);
                ol = olh;
                let rlh = ld(rbase + 4u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 3u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka3);
                sb0 = mac(sb0, q0, kb3);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka3);
                sb1 = mac(sb1, q1, kb3);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka3);
                sb2 = mac(sb2, q2, kb3);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka3);
                sb3 = mac(sb3, q3, kb3);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka3);
                sb4 = mac(sb4, q4, kb3);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka3);
                sb5 = mac(sb5, q5, kb3);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka3);
                sb6 = mac(sb6, q6, kb3);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka3);
                sb7 = mac(sb7, q7, kb3);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va3);
                eb0 = mac(eb0, o0, vb3);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va3);
                eb1 = mac(eb1, o1, vb3);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va3);
                eb2 = mac(eb2, o2, vb3);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va3);
                eb3 = mac(eb3, o3, vb3);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va3);
                eb4 = mac(eb4, o4, vb3);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va3);
                eb5 = mac(eb5, o5, vb3);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va3);
                eb6 = mac(eb6, o6, vb3);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va3);
                eb7 = mac(eb7, o7, vb3);
            }
            if (DT > 4u) {
                let qlh = lq(qbase + 5u);
                let qt = cut(align(ql, qlh, qs), 4u);
                ql = qlh;
                let olh = ld(obase + 5u);
                let ot = cut(align(ol, olh, os), 4u);
                ol = olh;
                let rlh = ld(rbase + 5u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 4u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka4);
                sb0 = mac(sb0, q0, kb4);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka4);
                sb1 = mac(sb1, q1, kb4);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka4);
                sb2 = mac(sb2, q2, kb4);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka4);
                sb3 = mac(sb3, q3, kb4);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka4);
                sb4 = mac(sb4, q4, kb4);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka4);
                sb5 = mac(sb5, q5, kb4);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka4);
                sb6 = mac(sb6, q6, kb4);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka4);
                sb7 = mac(sb7, q7, kb4);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va4);
                eb0 = mac(eb0, o0, vb4);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va4);
                eb1 = mac(eb1, o1, vb4);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va4);
                eb2 = mac(eb2, o2, vb4);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va4);
                eb3 = mac(eb3, o3, vb4);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va4);
                eb4 = mac(eb4, o4, vb4);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va4);
                eb5 = mac(eb5, o5, vb4);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va4);
                eb6 = mac(eb6, o6, vb4);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va4);
                eb7 = mac(eb7, o7, vb4);
            }
            if (DT > 5u) {
                let qlh = lq(qbase + 6u);
                let qt = cut(align(ql, qlh, qs), 5u);
                ql = qlh;
                let olh = ld(obase + 6u);
                let ot = cut(align(ol, olh, os), 5u);
                ol = olh;
                let rlh = ld(rbase + 6u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 5u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka5);
                sb0 = mac(sb0, q0, kb5);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka5);
                sb1 = mac(sb1, q1, kb5);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka5);
                sb2 = mac(sb2, q2, kb5);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka5);
                sb3 = mac(sb3, q3, kb5);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka5);
                sb4 = mac(sb4, q4, kb5);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka5);
                sb5 = mac(sb5, q5, kb5);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka5);
                sb6 = mac(sb6, q6, kb5);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka5);
                sb7 = mac(sb7, q7, kb5);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va5);
                eb0 = mac(eb0, o0, vb5);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va5);
                eb1 = mac(eb1, o1, vb5);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va5);
                eb2 = mac(eb2, o2, vb5);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va5);
                eb3 = mac(eb3, o3, vb5);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va5);
                eb4 = mac(eb4, o4, vb5);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va5);
                eb5 = mac(eb5, o5, vb5);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va5);
                eb6 = mac(eb6, o6, vb5);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va5);
                eb7 = mac(eb7, o7, vb5);
            }
            if (DT > 6u) {
                let qlh = lq(qbase + 7u);
                let qt = cut(align(ql, qlh, qs), 6u);
                ql = qlh;
                let olh = ld(obase + 7u);
                let ot = cut(align(ol, olh, os), 6u);
                ol = olh;
                let rlh = ld(rbase + 7u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 6u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka6);
                sb0 = mac(sb0, q0, kb6);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka6);
                sb1 = mac(sb1, q1, kb6);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka6);
                sb2 = mac(sb2, q2, kb6);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka6);
                sb3 = mac(sb3, q3, kb6);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka6);
                sb4 = mac(sb4, q4, kb6);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka6);
                sb5 = mac(sb5, q5, kb6);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka6);
                sb6 = mac(sb6, q6, kb6);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka6);
                sb7 = mac(sb7, q7, kb6);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va6);
                eb0 = mac(eb0, o0, vb6);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va6);
                eb1 = mac(eb1, o1, vb6);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va6);
                eb2 = mac(eb2, o2, vb6);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va6);
                eb3 = mac(eb3, o3, vb6);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va6);
                eb4 = mac(eb4, o4, vb6);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va6);
                eb5 = mac(eb5, o5, vb6);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va6);
                eb6 = mac(eb6, o6, vb6);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va6);
                eb7 = mac(eb7, o7, vb6);
            }
            if (DT > 7u) {
                let qlh = lq(qbase + 8u);
                let qt = cut(align(ql, qlh, qs), 7u);
                ql = qlh;
                let olh = ld(obase + 8u);
                let ot = cut(align(ol, olh, os), 7u);
                ol = olh;
                let rlh = ld(rbase + 8u);
                dl += dot(ot, cut(align(rl, rlh, rs0), 7u));
                rl = rlh;
                let q0 = subgroupBroadcast(qt, 0u);
                sa0 = mac(sa0, q0, ka7);
                sb0 = mac(sb0, q0, kb7);
                let q1 = subgroupBroadcast(qt, 1u);
                sa1 = mac(sa1, q1, ka7);
                sb1 = mac(sb1, q1, kb7);
                let q2 = subgroupBroadcast(qt, 2u);
                sa2 = mac(sa2, q2, ka7);
                sb2 = mac(sb2, q2, kb7);
                let q3 = subgroupBroadcast(qt, 3u);
                sa3 = mac(sa3, q3, ka7);
                sb3 = mac(sb3, q3, kb7);
                let q4 = subgroupBroadcast(qt, 4u);
                sa4 = mac(sa4, q4, ka7);
                sb4 = mac(sb4, q4, kb7);
                let q5 = subgroupBroadcast(qt, 5u);
                sa5 = mac(sa5, q5, ka7);
                sb5 = mac(sb5, q5, kb7);
                let q6 = subgroupBroadcast(qt, 6u);
                sa6 = mac(sa6, q6, ka7);
                sb6 = mac(sb6, q6, kb7);
                let q7 = subgroupBroadcast(qt, 7u);
                sa7 = mac(sa7, q7, ka7);
                sb7 = mac(sb7, q7, kb7);
                let o0 = subgroupBroadcast(ot, 0u);
                ea0 = mac(ea0, o0, va7);
                eb0 = mac(eb0, o0, vb7);
                let o1 = subgroupBroadcast(ot, 1u);
                ea1 = mac(ea1, o1, va7);
                eb1 = mac(eb1, o1, vb7);
                let o2 = subgroupBroadcast(ot, 2u);
                ea2 = mac(ea2, o2, va7);
                eb2 = mac(eb2, o2, vb7);
                let o3 = subgroupBroadcast(ot, 3u);
                ea3 = mac(ea3, o3, va7);
                eb3 = mac(eb3, o3, vb7);
                let o4 = subgroupBroadcast(ot, 4u);
                ea4 = mac(ea4, o4, va7);
                eb4 = mac(eb4, o4, vb7);
                let o5 = subgroupBroadcast(ot, 5u);
                ea5 = mac(ea5, o5, va7);
                eb5 = mac(eb5, o5, vb7);
                let o6 = subgroupBroadcast(ot, 6u);
                ea6 = mac(ea6, o6, va7);
                eb6 = mac(eb6, o6, vb7);
                let o7 = subgroupBroadcast(ot, 7u);
                ea7 = mac(ea7, o7, va7);
                eb7 = mac(eb7, o7, vb7);
            }
            let ll = lse[g * p.n + il];
            let sc = vec4<f32>(p.scale);
            // Query rows past n (the second half of the last block) are zeroed below.
            let i1 = min(i0 + 4u, p.n - 1u);
            let l0 = subgroupBroadcast(ll, 0u);
            sa0 = exp(fma(sa0, sc, textureLoad(tb, vec2<u32>(qac, i0), bl, 0)) - l0);
            sb0 = exp(fma(sb0, sc, textureLoad(tb, vec2<u32>(qbc, i0), bl, 0)) - l0);
            let l1 = subgroupBroadcast(ll, 1u);
            sa1 = exp(fma(sa1, sc, textureLoad(tb, vec2<u32>(qac, i0 + 1u), bl, 0)) - l1);
            sb1 = exp(fma(sb1, sc, textureLoad(tb, vec2<u32>(qbc, i0 + 1u), bl, 0)) - l1);
            let l2 = subgroupBroadcast(ll, 2u);
            sa2 = exp(fma(sa2, sc, textureLoad(tb, vec2<u32>(qac, i0 + 2u), bl, 0)) - l2);
            sb2 = exp(fma(sb2, sc, textureLoad(tb, vec2<u32>(qbc, i0 + 2u), bl, 0)) - l2);
            let l3 = subgroupBroadcast(ll, 3u);
            sa3 = exp(fma(sa3, sc, textureLoad(tb, vec2<u32>(qac, i0 + 3u), bl, 0)) - l3);
            sb3 = exp(fma(sb3, sc, textureLoad(tb, vec2<u32>(qbc, i0 + 3u), bl, 0)) - l3);
            let l4 = subgroupBroadcast(ll, 4u);
            sa4 = exp(fma(sa4, sc, textureLoad(tb, vec2<u32>(qac, i1), bl, 0)) - l4);
            sb4 = exp(fma(sb4, sc, textureLoad(tb, vec2<u32>(qbc, i1), bl, 0)) - l4);
            let l5 = subgroupBroadcast(ll, 5u);
            sa5 = exp(fma(sa5, sc, textureLoad(tb, vec2<u32>(qac, min(i1 + 1u, p.n - 1u)), bl, 0)) - l5);
            sb5 = exp(fma(sb5, sc, textureLoad(tb, vec2<u32>(qbc, min(i1 + 1u, p.n - 1u)), bl, 0)) - l5);
            let l6 = subgroupBroadcast(ll, 6u);
            sa6 = exp(fma(sa6, sc, textureLoad(tb, vec2<u32>(qac, min(i1 + 2u, p.n - 1u)), bl, 0)) - l6);
            sb6 = exp(fma(sb6, sc, textureLoad(tb, vec2<u32>(qbc, min(i1 + 2u, p.n - 1u)), bl, 0)) - l6);
            let l7 = subgroupBroadcast(ll, 7u);
            sa7 = exp(fma(sa7, sc, textureLoad(tb, vec2<u32>(qac, min(i1 + 3u, p.n - 1u)), bl, 0)) - l7);
            sb7 = exp(fma(sb7, sc, textureLoad(tb, vec2<u32>(qbc, min(i1 + 3u, p.n - 1u)), bl, 0)) - l7);
            if (i0 + 8u > p.n) {
                sa4 = vec4<f32>(0.0);
                sb4 = vec4<f32>(0.0);
                sa5 = vec4<f32>(0.0);
                sb5 = vec4<f32>(0.0);
                sa6 = vec4<f32>(0.0);
                sb6 = vec4<f32>(0.0);
                sa7 = vec4<f32>(0.0);
                sb7 = vec4<f32>(0.0);
            }
            let d0 = subgroupBroadcast(dl, 0u);
            ea0 = select(vec4<f32>(0.0), sa0 * (ea0 - d0), va);
            eb0 = select(vec4<f32>(0.0), sb0 * (eb0 - d0), vb);
            let d1 = subgroupBroadcast(dl, 1u);
            ea1 = select(vec4<f32>(0.0), sa1 * (ea1 - d1), va);
            eb1 = select(vec4<f32>(0.0), sb1 * (eb1 - d1), vb);
            let d2 = subgroupBroadcast(dl, 2u);
            ea2 = select(vec4<f32>(0.0), sa2 * (ea2 - d2), va);
            eb2 = select(vec4<f32>(0.0), sb2 * (eb2 - d2), vb);
            let d3 = subgroupBroadcast(dl, 3u);
            ea3 = select(vec4<f32>(0.0), sa3 * (ea3 - d3), va);
            eb3 = select(vec4<f32>(0.0), sb3 * (eb3 - d3), vb);
            let d4 = subgroupBroadcast(dl, 4u);
            ea4 = select(vec4<f32>(0.0), sa4 * (ea4 - d4), va);
            eb4 = select(vec4<f32>(0.0), sb4 * (eb4 - d4), vb);
            let d5 = subgroupBroadcast(dl, 5u);
            ea5 = select(vec4<f32>(0.0), sa5 * (ea5 - d5), va);
            eb5 = select(vec4<f32>(0.0), sb5 * (eb5 - d5), vb);
            let d6 = subgroupBroadcast(dl, 6u);
            ea6 = select(vec4<f32>(0.0), sa6 * (ea6 - d6), va);
            eb6 = select(vec4<f32>(0.0), sb6 * (eb6 - d6), vb);
            let d7 = subgroupBroadcast(dl, 7u);
            ea7 = select(vec4<f32>(0.0), sa7 * (ea7 - d7), va);
            eb7 = select(vec4<f32>(0.0), sb7 * (eb7 - d7), vb);
            // Queries past n have e = 0 (P zeroed above): adding them changes nothing.
            switch (i0 / 8u) {
                case 0u: {
                    ta0 += ea0;
                    tb0 += eb0;
                    ta1 += ea1;
                    tb1 += eb1;
                    ta2 += ea2;
                    tb2 += eb2;
                    ta3 += ea3;
                    tb3 += eb3;
                    ta4 += ea4;
                    tb4 += eb4;
                    ta5 += ea5;
                    tb5 += eb5;
                    ta6 += ea6;
                    tb6 += eb6;
                    ta7 += ea7;
                    tb7 += eb7;
                }
                case 1u: {
                    ta8 += ea0;
                    tb8 += eb0;
                    ta9 += ea1;
                    tb9 += eb1;
                    ta10 += ea2;
                    tb10 += eb2;
                    ta11 += ea3;
                    tb11 += eb3;
                    ta12 += ea4;
                    tb12 += eb4;
                    ta13 += ea5;
                    tb13 += eb5;
                    ta14 += ea6;
                    tb14 += eb6;
                    ta15 += ea7;
                    tb15 += eb7;
                }
                case 2u: {
                    ta16 += ea0;
                    tb16 += eb0;
                    ta17 += ea1;
                    tb17 += eb1;
                    ta18 += ea2;
                    tb18 += eb2;
                    ta19 += ea3;
                    tb19 += eb3;
                    ta20 += ea4;
                    tb20 += eb4;
                    ta21 += ea5;
                    tb21 += eb5;
                    ta22 += ea6;
                    tb22 += eb6;
                    ta23 += ea7;
                    tb23 += eb7;
                }
                case 3u: {
                    ta24 += ea0;
                    tb24 += eb0;
                    ta25 += ea1;
                    tb25 += eb1;
                    ta26 += ea2;
                    tb26 += eb2;
                    ta27 += ea3;
                    tb27 += eb3;
                    ta28 += ea4;
                    tb28 += eb4;
                    ta29 += ea5;
                    tb29 += eb5;
                    ta30 += ea6;
                    tb30 += eb6;
                    ta31 += ea7;
                    tb31 += eb7;
                }
                case 4u: {
                    ta32 += ea0;
                    tb32 += eb0;
                    ta33 += ea1;
                    tb33 += eb1;
                    ta34 += ea2;
                    tb34 += eb2;
                    ta35 += ea3;
                    tb35 += eb3;
                    ta36 += ea4;
                    tb36 += eb4;
                    ta37 += ea5;
                    tb37 += eb5;
                    ta38 += ea6;
                    tb38 += eb6;
                    ta39 += ea7;
                    tb39 += eb7;
                }
                case 5u: {
                    ta40 += ea0;
                    tb40 += eb0;
                    ta41 += ea1;
                    tb41 += eb1;
                    ta42 += ea2;
                    tb42 += eb2;
                    ta43 += ea3;
                    tb43 += eb3;
                    ta44 += ea4;
                    tb44 += eb4;
                    ta45 += ea5;
                    tb45 += eb5;
                    ta46 += ea6;
                    tb46 += eb6;
                    ta47 += ea7;
                    tb47 += eb7;
                }
                case 6u: {
                    ta48 += ea0;
                    tb48 += eb0;
                    ta49 += ea1;
                    tb49 += eb1;
                    ta50 += ea2;
                    tb50 += eb2;
                    ta51 += ea3;
                    tb51 += eb3;
                    ta52 += ea4;
                    tb52 += eb4;
                    ta53 += ea5;
                    tb53 += eb5;
                    ta54 += ea6;
                    tb54 += eb6;
                    ta55 += ea7;
                    tb55 += eb7;
                }
                case 7u: {
                    ta56 += ea0;
                    tb56 += eb0;
                    ta57 += ea1;
                    tb57 += eb1;
                    ta58 += ea2;
                    tb58 += eb2;
                    ta59 += ea3;
                    tb59 += eb3;
                    ta60 += ea4;
                    tb60 += eb4;
                    ta61 += ea5;
                    tb61 += eb5;
                    ta62 += ea6;
                    tb62 += eb6;
                    ta63 += ea7;
                    tb63 += eb7;
                }
                default: {}
            }
            ql = lq(qbase);
            ol = ld(obase);
            let dqbase = (row0 + i0 + lane) * st + xq;
            let own = i0 + lane < p.n;
            if (DT > 0u) {
                let qlh = lq(qbase + 1u);
                let qt = cut(align(ql, qlh, qs), 0u);
                ql = qlh;
                let olh = ld(obase + 1u);
                let ot = cut(align(ol, olh, os), 0u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva0 = pv(dva0, sa0, o0);
                dvb0 = pv(dvb0, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka0 = pv(dka0, ea0, q0);
                dkb0 = pv(dkb0, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva0 = pv(dva0, sa1, o1);
                dvb0 = pv(dvb0, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka0 = pv(dka0, ea1, q1);
                dkb0 = pv(dkb0, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva0 = pv(dva0, sa2, o2);
                dvb0 = pv(dvb0, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka0 = pv(dka0, ea2, q2);
                dkb0 = pv(dkb0, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva0 = pv(dva0, sa3, o3);
                dvb0 = pv(dvb0, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka0 = pv(dka0, ea3, q3);
                dkb0 = pv(dkb0, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva0 = pv(dva0, sa4, o4);
                dvb0 = pv(dvb0, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka0 = pv(dka0, ea4, q4);
                dkb0 = pv(dkb0, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva0 = pv(dva0, sa5, o5);
                dvb0 = pv(dvb0, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka0 = pv(dka0, ea5, q5);
                dkb0 = pv(dkb0, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva0 = pv(dva0, sa6, o6);
                dvb0 = pv(dvb0, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka0 = pv(dka0, ea6, q6);
                dkb0 = pv(dkb0, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva0 = pv(dva0, sa7, o7);
                dvb0 = pv(dvb0, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka0 = pv(dka0, ea7, q7);
                dkb0 = pv(dkb0, eb7, q7);
                let dq = reduce8(ea0 * ka0 + eb0 * kb0, ea1 * ka0 + eb1 * kb0, ea2 * ka0 + eb2 * kb0, ea3 * ka0 + eb3 * kb0, ea4 * ka0 + eb4 * kb0, ea5 * ka0 + eb5 * kb0, ea6 * ka0 + eb6 * kb0, ea7 * ka0 + eb7 * kb0, lane);
                if (own) {
                    store_q(dqbase, 0u, dq);
                }
            }
            if (DT > 1u) {
                let qlh = lq(qbase + 2u);
                let qt = cut(align(ql, qlh, qs), 1u);
                ql = qlh;
                let olh = ld(obase + 2u);
                let ot = cut(align(ol, olh, os), 1u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva1 = pv(dva1, sa0, o0);
                dvb1 = pv(dvb1, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka1 = pv(dka1, ea0, q0);
                dkb1 = pv(dkb1, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva1 = pv(dva1, sa1, o1);
                dvb1 = pv(dvb1, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka1 = pv(dka1, ea1, q1);
                dkb1 = pv(dkb1, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva1 = pv(dva1, sa2, o2);
                dvb1 = pv(dvb1, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka1 = pv(dka1, ea2, q2);
                dkb1 = pv(dkb1, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva1 = pv(dva1, sa3, o3);
                dvb1 = pv(dvb1, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka1 = pv(dka1, ea3, q3);
                dkb1 = pv(dkb1, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva1 = pv(dva1, sa4, o4);
                dvb1 = pv(dvb1, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka1 = pv(dka1, ea4, q4);
                dkb1 = pv(dkb1, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva1 = pv(dva1, sa5, o5);
                dvb1 = pv(dvb1, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka1 = pv(dka1, ea5, q5);
                dkb1 = pv(dkb1, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva1 = pv(dva1, sa6, o6);
                dvb1 = pv(dvb1, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka1 = pv(dka1, ea6, q6);
                dkb1 = pv(dkb1, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva1 = pv(dva1, sa7, o7);
                dvb1 = pv(dvb1, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka1 = pv(dka1, ea7, q7);
                dkb1 = pv(dkb1, eb7, q7);
                let dq = reduce8(ea0 * ka1 + eb0 * kb1, ea1 * ka1 + eb1 * kb1, ea2 * ka1 + eb2 * kb1, ea3 * ka1 + eb3 * kb1, ea4 * ka1 + eb4 * kb1, ea5 * ka1 + eb5 * kb1, ea6 * ka1 + eb6 * kb1, ea7 * ka1 + eb7 * kb1, lane);
                if (own) {
                    store_q(dqbase, 1u, dq);
                }
            }
            if (DT > 2u) {
                let qlh = lq(qbase + 3u);
                let qt = cut(align(ql, qlh, qs), 2u);
                ql = qlh;
                let olh = ld(obase + 3u);
                let ot = cut(align(ol, olh, os), 2u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva2 = pv(dva2, sa0, o0);
                dvb2 = pv(dvb2, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka2 = pv(dka2, ea0, q0);
                dkb2 = pv(dkb2, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva2 = pv(dva2, sa1, o1);
                dvb2 = pv(dvb2, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka2 = pv(dka2, ea1, q1);
                dkb2 = pv(dkb2, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva2 = pv(dva2, sa2, o2);
                dvb2 = pv(dvb2, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka2 = pv(dka2, ea2, q2);
                dkb2 = pv(dkb2, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva2 = pv(dva2, sa3, o3);
                dvb2 = pv(dvb2, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka2 = pv(dka2, ea3, q3);
                dkb2 = pv(dkb2, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva2 = pv(dva2, sa4, o4);
                dvb2 = pv(dvb2, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka2 = pv(dka2, ea4, q4);
                dkb2 = pv(dkb2, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva2 = pv(dva2, sa5, o5);
                dvb2 = pv(dvb2, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka2 = pv(dka2, ea5, q5);
                dkb2 = pv(dkb2, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva2 = pv(dva2, sa6, o6);
                dvb2 = pv(dvb2, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka2 = pv(dka2, ea6, q6);
                dkb2 = pv(dkb2, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva2 = pv(dva2, sa7, o7);
                dvb2 = pv(dvb2, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka2 = pv(dka2, ea7, q7);
                dkb2 = pv(dkb2, eb7, q7);
                let dq = reduce8(ea0 * ka2 + eb0 * kb2, ea1 * ka2 + eb1 * kb2, ea2 * ka2 + eb2 * kb2, ea3 * ka2 + eb3 * kb2, ea4 * ka2 + eb4 * kb2, ea5 * ka2 + eb5 * kb2, ea6 * ka2 + eb6 * kb2, ea7 * ka2 + eb7 * kb2, lane);
                if (own) {
                    store_q(dqbase, 2u, dq);
                }
            }
            if (DT > 3u) {
                let qlh = lq(qbase + 4u);
                let qt = cut(align(ql, qlh, qs), 3u);
                ql = qlh;
                let olh = ld(obase + 4u);
                let ot = cut(align(ol, olh, os), 3u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva3 = pv(dva3, sa0, o0);
                dvb3 = pv(dvb3, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka3 = pv(dka3, ea0, q0);
                dkb3 = pv(dkb3, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva3 = pv(dva3, sa1, o1);
                dvb3 = pv(dvb3, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka3 = pv(dka3, ea1, q1);
                dkb3 = pv(dkb3, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva3 = pv(dva3, sa2, o2);
                dvb3 = pv(dvb3, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka3 = pv(dka3, ea2, q2);
                dkb3 = pv(dkb3, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva3 = pv(dva3, sa3, o3);
                dvb3 = pv(dvb3, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka3 = pv(dka3, ea3, q3);
                dkb3 = pv(dkb3, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva3 = pv(dva3, sa4, o4);
                dvb3 = pv(dvb3, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka3 = pv(dka3, ea4, q4);
                dkb3 = pv(dkb3, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva3 = pv(dva3, sa5, o5);
                dvb3 = pv(dvb3, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka3 = pv(dka3, ea5, q5);
                dkb3 = pv(dkb3, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva3 = pv(dva3, sa6, o6);
                dvb3 = pv(dvb3, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka3 = pv(dka3, ea6, q6);
                dkb3 = pv(dkb3, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva3 = pv(dva3, sa7, o7);
                dvb3 = pv(dvb3, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka3 = pv(dka3, ea7, q7);
                dkb3 = pv(dkb3, eb7, q7);
                let dq = reduce8(ea0 * ka3 + eb0 * kb3, ea1 * ka3 + eb1 * kb3, ea2 * ka3 + eb2 * kb3, ea3 * ka3 + eb3 * kb3, ea4 * ka3 + eb4 * kb3, ea5 * ka3 + eb5 * kb3, ea6 * ka3 + eb6 * kb3, ea7 * ka3 + eb7 * kb3, lane);
                if (own) {
                    store_q(dqbase, 3u, dq);
                }
            }
            if (DT > 4u) {
                let qlh = lq(qbase + 5u);
                let qt = cut(align(ql, qlh, qs), 4u);
                ql = qlh;
                let olh = ld(obase + 5u);
                let ot = cut(align(ol, olh, os), 4u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva4 = pv(dva4, sa0, o0);
                dvb4 = pv(dvb4, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka4 = pv(dka4, ea0, q0);
                dkb4 = pv(dkb4, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva4 = pv(dva4, sa1, o1);
                dvb4 = pv(dvb4, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka4 = pv(dka4, ea1, q1);
                dkb4 = pv(dkb4, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva4 = pv(dva4, sa2, o2);
                dvb4 = pv(dvb4, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka4 = pv(dka4, ea2, q2);
                dkb4 = pv(dkb4, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva4 = pv(dva4, sa3, o3);
                dvb4 = pv(dvb4, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka4 = pv(dka4, ea3, q3);
                dkb4 = pv(dkb4, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva4 = pv(dva4, sa4, o4);
                dvb4 = pv(dvb4, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka4 = pv(dka4, ea4, q4);
                dkb4 = pv(dkb4, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva4 = pv(dva4, sa5, o5);
                dvb4 = pv(dvb4, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka4 = pv(dka4, ea5, q5);
                dkb4 = pv(dkb4, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva4 = pv(dva4, sa6, o6);
                dvb4 = pv(dvb4, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka4 = pv(dka4, ea6, q6);
                dkb4 = pv(dkb4, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva4 = pv(dva4, sa7, o7);
                dvb4 = pv(dvb4, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka4 = pv(dka4, ea7, q7);
                dkb4 = pv(dkb4, eb7, q7);
                let dq = reduce8(ea0 * ka4 + eb0 * kb4, ea1 * ka4 + eb1 * kb4, ea2 * ka4 + eb2 * kb4, ea3 * ka4 + eb3 * kb4, ea4 * ka4 + eb4 * kb4, ea5 * ka4 + eb5 * kb4, ea6 * ka4 + eb6 * kb4, ea7 * ka4 + eb7 * kb4, lane);
                if (own) {
                    store_q(dqbase, 4u, dq);
                }
            }
            if (DT > 5u) {
                let qlh = lq(qbase + 6u);
                let qt = cut(align(ql, qlh, qs), 5u);
                ql = qlh;
                let olh = ld(obase + 6u);
                let ot = cut(align(ol, olh, os), 5u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva5 = pv(dva5, sa0, o0);
                dvb5 = pv(dvb5, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka5 = pv(dka5, ea0, q0);
                dkb5 = pv(dkb5, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva5 = pv(dva5, sa1, o1);
                dvb5 = pv(dvb5, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka5 = pv(dka5, ea1, q1);
                dkb5 = pv(dkb5, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva5 = pv(dva5, sa2, o2);
                dvb5 = pv(dvb5, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka5 = pv(dka5, ea2, q2);
                dkb5 = pv(dkb5, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva5 = pv(dva5, sa3, o3);
                dvb5 = pv(dvb5, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka5 = pv(dka5, ea3, q3);
                dkb5 = pv(dkb5, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva5 = pv(dva5, sa4, o4);
                dvb5 = pv(dvb5, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka5 = pv(dka5, ea4, q4);
                dkb5 = pv(dkb5, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva5 = pv(dva5, sa5, o5);
                dvb5 = pv(dvb5, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka5 = pv(dka5, ea5, q5);
                dkb5 = pv(dkb5, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva5 = pv(dva5, sa6, o6);
                dvb5 = pv(dvb5, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka5 = pv(dka5, ea6, q6);
                dkb5 = pv(dkb5, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva5 = pv(dva5, sa7, o7);
                dvb5 = pv(dvb5, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka5 = pv(dka5, ea7, q7);
                dkb5 = pv(dkb5, eb7, q7);
                let dq = reduce8(ea0 * ka5 + eb0 * kb5, ea1 * ka5 + eb1 * kb5, ea2 * ka5 + eb2 * kb5, ea3 * ka5 + eb3 * kb5, ea4 * ka5 + eb4 * kb5, ea5 * ka5 + eb5 * kb5, ea6 * ka5 + eb6 * kb5, ea7 * ka5 + eb7 * kb5, lane);
                if (own) {
                    store_q(dqbase, 5u, dq);
                }
            }
            if (DT > 6u) {
                let qlh = lq(qbase + 7u);
                let qt = cut(align(ql, qlh, qs), 6u);
                ql = qlh;
                let olh = ld(obase + 7u);
                let ot = cut(align(ol, olh, os), 6u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva6 = pv(dva6, sa0, o0);
                dvb6 = pv(dvb6, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka6 = pv(dka6, ea0, q0);
                dkb6 = pv(dkb6, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva6 = pv(dva6, sa1, o1);
                dvb6 = pv(dvb6, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka6 = pv(dka6, ea1, q1);
                dkb6 = pv(dkb6, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva6 = pv(dva6, sa2, o2);
                dvb6 = pv(dvb6, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka6 = pv(dka6, ea2, q2);
                dkb6 = pv(dkb6, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva6 = pv(dva6, sa3, o3);
                dvb6 = pv(dvb6, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka6 = pv(dka6, ea3, q3);
                dkb6 = pv(dkb6, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva6 = pv(dva6, sa4, o4);
                dvb6 = pv(dvb6, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka6 = pv(dka6, ea4, q4);
                dkb6 = pv(dkb6, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva6 = pv(dva6, sa5, o5);
                dvb6 = pv(dvb6, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka6 = pv(dka6, ea5, q5);
                dkb6 = pv(dkb6, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva6 = pv(dva6, sa6, o6);
                dvb6 = pv(dvb6, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka6 = pv(dka6, ea6, q6);
                dkb6 = pv(dkb6, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva6 = pv(dva6, sa7, o7);
                dvb6 = pv(dvb6, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka6 = pv(dka6, ea7, q7);
                dkb6 = pv(dkb6, eb7, q7);
                let dq = reduce8(ea0 * ka6 + eb0 * kb6, ea1 * ka6 + eb1 * kb6, ea2 * ka6 + eb2 * kb6, ea3 * ka6 + eb3 * kb6, ea4 * ka6 + eb4 * kb6, ea5 * ka6 + eb5 * kb6, ea6 * ka6 + eb6 * kb6, ea7 * ka6 + eb7 * kb6, lane);
                if (own) {
                    store_q(dqbase, 6u, dq);
                }
            }
            if (DT > 7u) {
                let qlh = lq(qbase + 8u);
                let qt = cut(align(ql, qlh, qs), 7u);
                ql = qlh;
                let olh = ld(obase + 8u);
                let ot = cut(align(ol, olh, os), 7u);
                ol = olh;
                let o0 = subgroupBroadcast(ot, 0u);
                dva7 = pv(dva7, sa0, o0);
                dvb7 = pv(dvb7, sb0, o0);
                let q0 = subgroupBroadcast(qt, 0u);
                dka7 = pv(dka7, ea0, q0);
                dkb7 = pv(dkb7, eb0, q0);
                let o1 = subgroupBroadcast(ot, 1u);
                dva7 = pv(dva7, sa1, o1);
                dvb7 = pv(dvb7, sb1, o1);
                let q1 = subgroupBroadcast(qt, 1u);
                dka7 = pv(dka7, ea1, q1);
                dkb7 = pv(dkb7, eb1, q1);
                let o2 = subgroupBroadcast(ot, 2u);
                dva7 = pv(dva7, sa2, o2);
                dvb7 = pv(dvb7, sb2, o2);
                let q2 = subgroupBroadcast(qt, 2u);
                dka7 = pv(dka7, ea2, q2);
                dkb7 = pv(dkb7, eb2, q2);
                let o3 = subgroupBroadcast(ot, 3u);
                dva7 = pv(dva7, sa3, o3);
                dvb7 = pv(dvb7, sb3, o3);
                let q3 = subgroupBroadcast(qt, 3u);
                dka7 = pv(dka7, ea3, q3);
                dkb7 = pv(dkb7, eb3, q3);
                let o4 = subgroupBroadcast(ot, 4u);
                dva7 = pv(dva7, sa4, o4);
                dvb7 = pv(dvb7, sb4, o4);
                let q4 = subgroupBroadcast(qt, 4u);
                dka7 = pv(dka7, ea4, q4);
                dkb7 = pv(dkb7, eb4, q4);
                let o5 = subgroupBroadcast(ot, 5u);
                dva7 = pv(dva7, sa5, o5);
                dvb7 = pv(dvb7, sb5, o5);
                let q5 = subgroupBroadcast(qt, 5u);
                dka7 = pv(dka7, ea5, q5);
                dkb7 = pv(dkb7, eb5, q5);
                let o6 = subgroupBroadcast(ot, 6u);
                dva7 = pv(dva7, sa6, o6);
                dvb7 = pv(dvb7, sb6, o6);
                let q6 = subgroupBroadcast(qt, 6u);
                dka7 = pv(dka7, ea6, q6);
                dkb7 = pv(dkb7, eb6, q6);
                let o7 = subgroupBroadcast(ot, 7u);
                dva7 = pv(dva7, sa7, o7);
                dvb7 = pv(dvb7, sb7, o7);
                let q7 = subgroupBroadcast(qt, 7u);
                dka7 = pv(dka7, ea7, q7);
                dkb7 = pv(dkb7, eb7, q7);
                let dq = reduce8(ea0 * ka7 + eb0 * kb7, ea1 * ka7 + eb1 * kb7, ea2 * ka7 + eb2 * kb7, ea3 * ka7 + eb3 * kb7, ea4 * ka7 + eb4 * kb7, ea5 * ka7 + eb5 * kb7, ea6 * ka7 + eb6 * kb7, ea7 * ka7 + eb7 * kb7, lane);
                if (own) {
                    store_q(dqbase, 7u, dq);
                }
            }
        }
        if (va) {
            for (var c = 0u; c < 4u; c++) {
                let base = (row0 + 4u * qa + c) * st + xq;
                if (DT > 0u) {
                    store_kv(base, 0u, dka0, dva0, c);
                }
                if (DT > 1u) {
                    store_kv(base, 1u, dka1, dva1, c);
                }
                if (DT > 2u) {
                    store_kv(base, 2u, dka2, dva2, c);
                }
                if (DT > 3u) {
                    store_kv(base, 3u, dka3, dva3, c);
                }
                if (DT > 4u) {
                    store_kv(base, 4u, dka4, dva4, c);
                }
                if (DT > 5u) {
                    store_kv(base, 5u, dka5, dva5, c);
                }
                if (DT > 6u) {
                    store_kv(base, 6u, dka6, dva6, c);
                }
                if (DT > 7u) {
                    store_kv(base, 7u, dka7, dva7, c);
                }
            }
        }
        if (vb) {
            for (var c = 0u; c < 4u; c++) {
                let base = (row0 + 4u * qb + c) * st + xq;
                if (DT > 0u) {
                    store_kv(base, 0u, dkb0, dvb0, c);
                }
                if (DT > 1u) {
                    store_kv(base, 1u, dkb1, dvb1, c);
                }
                if (DT > 2u) {
                    store_kv(base, 2u, dkb2, dvb2, c);
                }
                if (DT > 3u) {
                    store_kv(base, 3u, dkb3, dvb3, c);
                }
                if (DT > 4u) {
                    store_kv(base, 4u, dkb4, dvb4, c);
                }
                if (DT > 5u) {
                    store_kv(base, 5u, dkb5, dvb5, c);
                }
                if (DT > 6u) {
                    store_kv(base, 6u, dkb6, dvb6, c);
                }
                if (DT > 7u) {
                    store_kv(base, 7u, dkb7, dvb7, c);
                }
            }
        }
    }
    let at = wid.y * p.n * nq;
    if (va) {
        if (0u < p.n) { dsum[at + 0u * nq + qa] = ta0; }
        if (1u < p.n) { dsum[at + 1u * nq + qa] = ta1; }
        if (2u < p.n) { dsum[at + 2u * nq + qa] = ta2; }
        if (3u < p.n) { dsum[at + 3u * nq + qa] = ta3; }
        if (4u < p.n) { dsum[at + 4u * nq + qa] = ta4; }
        if (5u < p.n) { dsum[at + 5u * nq + qa] = ta5; }
        if (6u < p.n) { dsum[at + 6u * nq + qa] = ta6; }
        if (7u < p.n) { dsum[at + 7u * nq + qa] = ta7; }
        if (8u < p.n) { dsum[at + 8u * nq + qa] = ta8; }
        if (9u < p.n) { dsum[at + 9u * nq + qa] = ta9; }
        if (10u < p.n) { dsum[at + 10u * nq + qa] = ta10; }
        if (11u < p.n) { dsum[at + 11u * nq + qa] = ta11; }
        if (12u < p.n) { dsum[at + 12u * nq + qa] = ta12; }
        if (13u < p.n) { dsum[at + 13u * nq + qa] = ta13; }
        if (14u < p.n) { dsum[at + 14u * nq + qa] = ta14; }
        if (15u < p.n) { dsum[at + 15u * nq + qa] = ta15; }
        if (16u < p.n) { dsum[at + 16u * nq + qa] = ta16; }
        if (17u < p.n) { dsum[at + 17u * nq + qa] = ta17; }
        if (18u < p.n) { dsum[at + 18u * nq + qa] = ta18; }
        if (19u < p.n) { dsum[at + 19u * nq + qa] = ta19; }
        if (20u < p.n) { dsum[at + 20u * nq + qa] = ta20; }
        if (21u < p.n) { dsum[at + 21u * nq + qa] = ta21; }
        if (22u < p.n) { dsum[at + 22u * nq + qa] = ta22; }
        if (23u < p.n) { dsum[at + 23u * nq + qa] = ta23; }
        if (24u < p.n) { dsum[at + 24u * nq + qa] = ta24; }
        if (25u < p.n) { dsum[at + 25u * nq + qa] = ta25; }
        if (26u < p.n) { dsum[at + 26u * nq + qa] = ta26; }
        if (27u < p.n) { dsum[at + 27u * nq + qa] = ta27; }
        if (28u < p.n) { dsum[at + 28u * nq + qa] = ta28; }
        if (29u < p.n) { dsum[at + 29u * nq + qa] = ta29; }
        if (30u < p.n) { dsum[at + 30u * nq + qa] = ta30; }
        if (31u < p.n) { dsum[at + 31u * nq + qa] = ta31; }
        if (32u < p.n) { dsum[at + 32u * nq + qa] = ta32; }
        if (33u < p.n) { dsum[at + 33u * nq + qa] = ta33; }
        if (34u < p.n) { dsum[at + 34u * nq + qa] = ta34; }
        if (35u < p.n) { dsum[at + 35u * nq + qa] = ta35; }
        if (36u < p.n) { dsum[at + 36u * nq + qa] = ta36; }
        if (37u < p.n) { dsum[at + 37u * nq + qa] = ta37; }
        if (38u < p.n) { dsum[at + 38u * nq + qa] = ta38; }
        if (39u < p.n) { dsum[at + 39u * nq + qa] = ta39; }
        if (40u < p.n) { dsum[at + 40u * nq + qa] = ta40; }
        if (41u < p.n) { dsum[at + 41u * nq + qa] = ta41; }
        if (42u < p.n) { dsum[at + 42u * nq + qa] = ta42; }
        if (43u < p.n) { dsum[at + 43u * nq + qa] = ta43; }
        if (44u < p.n) { dsum[at + 44u * nq + qa] = ta44; }
        if (45u < p.n) { dsum[at + 45u * nq + qa] = ta45; }
        if (46u < p.n) { dsum[at + 46u * nq + qa] = ta46; }
        if (47u < p.n) { dsum[at + 47u * nq + qa] = ta47; }
        if (48u < p.n) { dsum[at + 48u * nq + qa] = ta48; }
        if (49u < p.n) { dsum[at + 49u * nq + qa] = ta49; }
        if (50u < p.n) { dsum[at + 50u * nq + qa] = ta50; }
        if (51u < p.n) { dsum[at + 51u * nq + qa] = ta51; }
        if (52u < p.n) { dsum[at + 52u * nq + qa] = ta52; }
        if (53u < p.n) { dsum[at + 53u * nq + qa] = ta53; }
        if (54u < p.n) { dsum[at + 54u * nq + qa] = ta54; }
        if (55u < p.n) { dsum[at + 55u * nq + qa] = ta55; }
        if (56u < p.n) { dsum[at + 56u * nq + qa] = ta56; }
        if (57u < p.n) { dsum[at + 57u * nq + qa] = ta57; }
        if (58u < p.n) { dsum[at + 58u * nq + qa] = ta58; }
        if (59u < p.n) { dsum[at + 59u * nq + qa] = ta59; }
        if (60u < p.n) { dsum[at + 60u * nq + qa] = ta60; }
        if (61u < p.n) { dsum[at + 61u * nq + qa] = ta61; }
        if (62u < p.n) { dsum[at + 62u * nq + qa] = ta62; }
        if (63u < p.n) { dsum[at + 63u * nq + qa] = ta63; }
    }
    if (vb) {
        if (0u < p.n) { dsum[at + 0u * nq + qb] = tb0; }
        if (1u < p.n) { dsum[at + 1u * nq + qb] = tb1; }
        if (2u < p.n) { dsum[at + 2u * nq + qb] = tb2; }
        if (3u < p.n) { dsum[at + 3u * nq + qb] = tb3; }
        if (4u < p.n) { dsum[at + 4u * nq + qb] = tb4; }
        if (5u < p.n) { dsum[at + 5u * nq + qb] = tb5; }
        if (6u < p.n) { dsum[at + 6u * nq + qb] = tb6; }
        if (7u < p.n) { dsum[at + 7u * nq + qb] = tb7; }
        if (8u < p.n) { dsum[at + 8u * nq + qb] = tb8; }
        if (9u < p.n) { dsum[at + 9u * nq + qb] = tb9; }
        if (10u < p.n) { dsum[at + 10u * nq + qb] = tb10; }
        if (11u < p.n) { dsum[at + 11u * nq + qb] = tb11; }
        if (12u < p.n) { dsum[at + 12u * nq + qb] = tb12; }
        if (13u < p.n) { dsum[at + 13u * nq + qb] = tb13; }
        if (14u < p.n) { dsum[at + 14u * nq + qb] = tb14; }
        if (15u < p.n) { dsum[at + 15u * nq + qb] = tb15; }
        if (16u < p.n) { dsum[at + 16u * nq + qb] = tb16; }
        if (17u < p.n) { dsum[at + 17u * nq + qb] = tb17; }
        if (18u < p.n) { dsum[at + 18u * nq + qb] = tb18; }
        if (19u < p.n) { dsum[at + 19u * nq + qb] = tb19; }
        if (20u < p.n) { dsum[at + 20u * nq + qb] = tb20; }
        if (21u < p.n) { dsum[at + 21u * nq + qb] = tb21; }
        if (22u < p.n) { dsum[at + 22u * nq + qb] = tb22; }
        if (23u < p.n) { dsum[at + 23u * nq + qb] = tb23; }
        if (24u < p.n) { dsum[at + 24u * nq + qb] = tb24; }
        if (25u < p.n) { dsum[at + 25u * nq + qb] = tb25; }
        if (26u < p.n) { dsum[at + 26u * nq + qb] = tb26; }
        if (27u < p.n) { dsum[at + 27u * nq + qb] = tb27; }
        if (28u < p.n) { dsum[at + 28u * nq + qb] = tb28; }
        if (29u < p.n) { dsum[at + 29u * nq + qb] = tb29; }
        if (30u < p.n) { dsum[at + 30u * nq + qb] = tb30; }
        if (31u < p.n) { dsum[at + 31u * nq + qb] = tb31; }
        if (32u < p.n) { dsum[at + 32u * nq + qb] = tb32; }
        if (33u < p.n) { dsum[at + 33u * nq + qb] = tb33; }
        if (34u < p.n) { dsum[at + 34u * nq + qb] = tb34; }
        if (35u < p.n) { dsum[at + 35u * nq + qb] = tb35; }
        if (36u < p.n) { dsum[at + 36u * nq + qb] = tb36; }
        if (37u < p.n) { dsum[at + 37u * nq + qb] = tb37; }
        if (38u < p.n) { dsum[at + 38u * nq + qb] = tb38; }
        if (39u < p.n) { dsum[at + 39u * nq + qb] = tb39; }
        if (40u < p.n) { dsum[at + 40u * nq + qb] = tb40; }
        if (41u < p.n) { dsum[at + 41u * nq + qb] = tb41; }
        if (42u < p.n) { dsum[at + 42u * nq + qb] = tb42; }
        if (43u < p.n) { dsum[at + 43u * nq + qb] = tb43; }
        if (44u < p.n) { dsum[at + 44u * nq + qb] = tb44; }
        if (45u < p.n) { dsum[at + 45u * nq + qb] = tb45; }
        if (46u < p.n) { dsum[at + 46u * nq + qb] = tb46; }
        if (47u < p.n) { dsum[at + 47u * nq + qb] = tb47; }
        if (48u < p.n) { dsum[at + 48u * nq + qb] = tb48; }
        if (49u < p.n) { dsum[at + 49u * nq + qb] = tb49; }
        if (50u < p.n) { dsum[at + 50u * nq + qb] = tb50; }
        if (51u < p.n) { dsum[at + 51u * nq + qb] = tb51; }
        if (52u < p.n) { dsum[at + 52u * nq + qb] = tb52; }
        if (53u < p.n) { dsum[at + 53u * nq + qb] = tb53; }
        if (54u < p.n) { dsum[at + 54u * nq + qb] = tb54; }
        if (55u < p.n) { dsum[at + 55u * nq + qb] = tb55; }
        if (56u < p.n) { dsum[at + 56u * nq + qb] = tb56; }
        if (57u < p.n) { dsum[at + 57u * nq + qb] = tb57; }
        if (58u < p.n) { dsum[at + 58u * nq + qb] = tb58; }
        if (59u < p.n) { dsum[at + 59u * nq + qb] = tb59; }
        if (60u < p.n) { dsum[at + 60u * nq + qb] = tb60; }
        if (61u < p.n) { dsum[at + 61u * nq + qb] = tb61; }
        if (62u < p.n) { dsum[at + 62u * nq + qb] = tb62; }
        if (63u < p.n) { dsum[at + 63u * nq + qb] = tb63; }
    }
}
