// Window attention backward, columns: one workgroup per (window, head), one lane per key j:
// dk_j = scale sum_i dS_ij q_i, dv_j = sum_i P_ij dout_i (the k and v thirds of dqkv).
// q and dout of the window/head are staged in workgroup memory.
struct Params { n: u32, c: u32, heads: u32, hd: u32, groups: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> ds: array<f32>;

var<workgroup> qs: array<f32, 2048>;
var<workgroup> dos: array<f32, 2048>;

@compute @workgroup_size(64)
fn attention_backward_kv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
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
        let r = row0 + e / p.hd;
        let d = e % p.hd;
        qs[e] = qkv[r * c3 + head * p.hd + d];
        dos[e] = dout[r * p.c + head * p.hd + d];
    }
    workgroupBarrier();
    let j = lid;
    if (j >= p.n) {
        return;
    }
    var dk: array<f32, 64>;
    var dv: array<f32, 64>;
    for (var d = 0u; d < p.hd; d++) {
        dk[d] = 0.0;
        dv[d] = 0.0;
    }
    for (var i = 0u; i < p.n; i++) {
        let at = (g * p.n + i) * p.n + j;
        let sv = ds[at];
        let pv = probs[at];
        for (var d = 0u; d < p.hd; d++) {
            dk[d] = fma(sv, qs[i * p.hd + d], dk[d]);
            dv[d] = fma(pv, dos[i * p.hd + d], dv[d]);
        }
    }
    let base = (row0 + j) * c3 + head * p.hd;
    for (var d = 0u; d < p.hd; d++) {
        dqkv[base + p.c + d] = dk[d] * p.scale;
        dqkv[base + 2u * p.c + d] = dv[d];
    }
}
