// Window attention backward, rows: one workgroup per (window, head), one lane per query row i.
// dP_ij = dout_i . v_j, dS_ij = P_ij (dP_ij - sum_j' P_ij' dP_ij') (saved to ds for the k/v and
// table gradients), dq_i = scale sum_j dS_ij k_j (written into the q third of dqkv).
struct Params { n: u32, c: u32, heads: u32, hd: u32, groups: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> ds: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<f32>;
@group(0) @binding(4) var<storage, read> probs: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;

var<workgroup> ks: array<f32, 2048>;
var<workgroup> vs: array<f32, 2048>;

@compute @workgroup_size(64)
fn attention_backward_q(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                        @builtin(local_invocation_index) lid: u32) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.groups) {
        return;
    }
    let window = g / p.heads;
    let head = g % p.heads;
    let c3 = 3u * p.c;
    let row0 = window * p.n;
    for (var e = lid; e < p.n * p.hd; e += 64u) {
        let src = (row0 + e / p.hd) * c3 + head * p.hd + e % p.hd;
        ks[e] = qkv[src + p.c];
        vs[e] = qkv[src + 2u * p.c];
    }
    workgroupBarrier();
    let i = lid;
    if (i >= p.n) {
        return;
    }
    var dor: array<f32, 64>;
    let obase = (row0 + i) * p.c + head * p.hd;
    for (var d = 0u; d < p.hd; d++) {
        dor[d] = dout[obase + d];
    }
    let pbase = (g * p.n + i) * p.n;
    var dp: array<f32, 64>;
    var rowdot = 0.0;
    for (var j = 0u; j < p.n; j++) {
        var acc = 0.0;
        for (var d = 0u; d < p.hd; d++) {
            acc = fma(dor[d], vs[j * p.hd + d], acc);
        }
        dp[j] = acc;
        rowdot = fma(probs[pbase + j], acc, rowdot);
    }
    for (var j = 0u; j < p.n; j++) {
        let v = probs[pbase + j] * (dp[j] - rowdot);
        dp[j] = v;
        ds[pbase + j] = v;
    }
    let qbase = (row0 + i) * c3 + head * p.hd;
    for (var d = 0u; d < p.hd; d++) {
        var acc = 0.0;
        for (var j = 0u; j < p.n; j++) {
            acc = fma(dp[j], ks[j * p.hd + d], acc);
        }
        dqkv[qbase + d] = acc * p.scale;
    }
}
