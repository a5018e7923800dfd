// Softmax backward in place on dP [windows * heads, n, n]: dS_ij = P_ij (dP_ij - sum_j' P_ij' dP_ij').
// dS is the gradient of the pre-softmax logits (the bias table's gradient; q and k get it
// times the scale). One invocation per row, 1-D grid folded into 2-D.
struct Params { n: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> ds: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;

@compute @workgroup_size(64)
fn attention_softmax_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = gid.x + gid.y * nwg.x * 64u;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.n;
    var dot = 0.0;
    for (var j = 0u; j < p.n; j++) {
        dot = fma(probs[base + j], ds[base + j], dot);
    }
    for (var j = 0u; j < p.n; j++) {
        ds[base + j] = probs[base + j] * (ds[base + j] - dot);
    }
}
