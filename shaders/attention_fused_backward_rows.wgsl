// Fused window attention backward, query-row side: per (window, head) and the lane's 4 query
// rows (as in attention_fused_forward.wgsl), walking the keys in blocks of 8:
//   P = exp(scale q k^T + bias - lse)  (recomputed from the forward's log-sum-exp),
//   dP = dout v^T, dS = P (dP - D) with D = rowsum(dout * out),
//   dq = scale dS k (accumulated in registers, written once),
// and P, dS written to [windows * heads, n, n] (vec4 stores of 4 keys) for the key-side
// kernel (dk, dv) and the bias-table gradient. tq holds q, k, v; td holds dout then out
// (attention_fused_pack.wgsl); tb the bias + mask. DT = texels of head_dim.
override DT: u32 = 8u;
struct Params { n: u32, heads: u32, hd: u32, c: u32, rpl: u32, nwx: u32, nwy: u32, shift: u32,
                scale: f32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> ds: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var tq: texture_2d_array<f32>;
@group(0) @binding(6) var td: texture_2d_array<f32>;
@group(0) @binding(7) var tb: texture_2d_array<f32>;

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

fn rows(layer: u32, x: u32, y0: u32, r: vec4<u32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(textureLoad(tq, vec2<u32>(x, y0 + r.x), layer, 0),
                                 textureLoad(tq, vec2<u32>(x, y0 + r.y), layer, 0),
                                 textureLoad(tq, vec2<u32>(x, y0 + r.z), layer, 0),
                                 textureLoad(tq, vec2<u32>(x, y0 + r.w), layer, 0)));
}

fn drows(layer: u32, x: u32, y0: u32, r: vec4<u32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(textureLoad(td, vec2<u32>(x, y0 + r.x), layer, 0),
                                 textureLoad(td, vec2<u32>(x, y0 + r.y), layer, 0),
                                 textureLoad(td, vec2<u32>(x, y0 + r.z), layer, 0),
                                 textureLoad(td, vec2<u32>(x, y0 + r.w), layer, 0)));
}

fn bias(bl: u32, q: u32, r: vec4<u32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(textureLoad(tb, vec2<u32>(q, r.x), bl, 0), textureLoad(tb, vec2<u32>(q, r.y), bl, 0),
                                 textureLoad(tb, vec2<u32>(q, r.z), bl, 0), textureLoad(tb, vec2<u32>(q, r.w), bl, 0)));
}

// Stores keys j0 .. j0+3 of the lane's rows (a[e] = the 4 rows at key j0 + e) as one vec4 per row.
fn store4(which: u32, g: u32, i0: u32, j0: u32, a: mat4x4<f32>) {
    let t = transpose(a);
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + 8u * r;
        if (i < p.n) {
            let at = ((g * p.n + i) * p.n + j0) / 4u;
            if (which == 0u) { probs[at] = t[r]; } else { ds[at] = t[r]; }
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
    let layer = (window * p.n) / p.rpl;
    let y0 = (window * p.n) % p.rpl;
    let bl = window_type(window) * p.heads + head;
    let xq = head * DT;
    let xk = (p.heads + head) * DT;
    let xv = (2u * p.heads + head) * DT;
    let xo = p.heads * DT + xq;
    let i0 = wid.x * 32u + lane;
    let rr = min(vec4<u32>(i0) + vec4<u32>(0u, 8u, 16u, 24u), vec4<u32>(p.n - 1u));
    // D = rowsum(dout * out) and the rows' log-sum-exp.
    var dd = vec4<f32>(0.0);
    for (var t = 0u; t < DT; t++) {
        let a = drows(layer, xq + t, y0, rr);
        let b = drows(layer, xo + t, y0, rr);
        dd = fma(a[0], b[0], fma(a[1], b[1], fma(a[2], b[2], fma(a[3], b[3], dd))));
    }
    let lg = vec4<f32>(lse[g * p.n + rr.x], lse[g * p.n + rr.y], lse[g * p.n + rr.z], lse[g * p.n + rr.w]);
    var dq: array<mat4x4<f32>, 8>;
    for (var t = 0u; t < DT; t++) {
        dq[t] = mat4x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
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
        var e0 = vec4<f32>(0.0);
        var e1 = vec4<f32>(0.0);
        var e2 = vec4<f32>(0.0);
        var e3 = vec4<f32>(0.0);
        var e4 = vec4<f32>(0.0);
        var e5 = vec4<f32>(0.0);
        var e6 = vec4<f32>(0.0);
        var e7 = vec4<f32>(0.0);
        for (var t = 0u; t < DT; t++) {
            let kt = textureLoad(tq, vec2<u32>(xk + t, y0 + jl), layer, 0);
            let vt = textureLoad(tq, vec2<u32>(xv + t, y0 + jl), layer, 0);
            let x = rows(layer, xq + t, y0, rr);
            let y = drows(layer, xq + t, y0, rr);
            s0 = mac(s0, subgroupBroadcast(kt, 0u), x);
            s1 = mac(s1, subgroupBroadcast(kt, 1u), x);
            s2 = mac(s2, subgroupBroadcast(kt, 2u), x);
            s3 = mac(s3, subgroupBroadcast(kt, 3u), x);
            s4 = mac(s4, subgroupBroadcast(kt, 4u), x);
            s5 = mac(s5, subgroupBroadcast(kt, 5u), x);
            s6 = mac(s6, subgroupBroadcast(kt, 6u), x);
            s7 = mac(s7, subgroupBroadcast(kt, 7u), x);
            e0 = mac(e0, subgroupBroadcast(vt, 0u), y);
            e1 = mac(e1, subgroupBroadcast(vt, 1u), y);
            e2 = mac(e2, subgroupBroadcast(vt, 2u), y);
            e3 = mac(e3, subgroupBroadcast(vt, 3u), y);
            e4 = mac(e4, subgroupBroadcast(vt, 4u), y);
            e5 = mac(e5, subgroupBroadcast(vt, 5u), y);
            e6 = mac(e6, subgroupBroadcast(vt, 6u), y);
            e7 = mac(e7, subgroupBroadcast(vt, 7u), y);
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
        e0 = s0 * (e0 - dd);
        e1 = s1 * (e1 - dd);
        e2 = s2 * (e2 - dd);
        e3 = s3 * (e3 - dd);
        e4 = s4 * (e4 - dd);
        e5 = s5 * (e5 - dd);
        e6 = s6 * (e6 - dd);
        e7 = s7 * (e7 - dd);
        store4(0u, g, i0, j0, mat4x4<f32>(s0, s1, s2, s3));
        store4(1u, g, i0, j0, mat4x4<f32>(e0, e1, e2, e3));
        if (j0 + 8u > p.n) {
            // Keys past n (the second half of the last block) add nothing to dq.
            e4 = vec4<f32>(0.0);
            e5 = vec4<f32>(0.0);
            e6 = vec4<f32>(0.0);
            e7 = vec4<f32>(0.0);
        } else {
            store4(0u, g, i0, j0 + 4u, mat4x4<f32>(s4, s5, s6, s7));
            store4(1u, g, i0, j0 + 4u, mat4x4<f32>(e4, e5, e6, e7));
        }
        for (var t = 0u; t < DT; t++) {
            let kt = textureLoad(tq, vec2<u32>(xk + t, y0 + jl), layer, 0);
            var a = dq[t];
            a = pv(a, e0, subgroupBroadcast(kt, 0u));
            a = pv(a, e1, subgroupBroadcast(kt, 1u));
            a = pv(a, e2, subgroupBroadcast(kt, 2u));
            a = pv(a, e3, subgroupBroadcast(kt, 3u));
            a = pv(a, e4, subgroupBroadcast(kt, 4u));
            a = pv(a, e5, subgroupBroadcast(kt, 5u));
            a = pv(a, e6, subgroupBroadcast(kt, 6u));
            a = pv(a, e7, subgroupBroadcast(kt, 7u));
            dq[t] = a;
        }
    }
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + 8u * r;
        if (i < p.n) {
            let base = (window * p.n + i) * 3u * p.c + head * p.hd;
            for (var t = 0u; t < DT; t++) {
                for (var e = 0u; e < 4u; e++) {
                    let d = 4u * t + e;
                    if (d < p.hd) {
                        dqkv[base + d] = dq[t][e][r] * p.scale;
                    }
                }
            }
        }
    }
}
