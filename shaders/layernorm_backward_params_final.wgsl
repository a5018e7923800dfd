// Finishes LayerNorm's dgamma and dbeta from the partial sums of layernorm_backward_params*.wgsl
// (partial [nchunks, 2C]: a chunk's dgamma sums, then its dbeta sums): invocation j < 2C sums
// column j over the chunks in order (the order of matmul's colsum_final, so the same bits) and
// writes it to dgamma[j] or dbeta[j - C]. One dispatch, and no copies out of a shared buffer
// (a copy ends the compute pass). 1-D grid folded into 2-D.
struct Params { c: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(2) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(3) var<storage, read> partial: array<f32>;

@compute @workgroup_size(64)
fn layernorm_backward_params_final(@builtin(global_invocation_id) gid: vec3<u32>,
                                   @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = gid.x + gid.y * nwg.x * 64u;
    if (j >= 2u * p.c) {
        return;
    }
    var s = 0.0;
    var at = j;
    for (var ch = 0u; ch < p.nchunks; ch++) {
        s += partial[at];
        at += 2u * p.c;
    }
    if (j < p.c) {
        dgamma[j] = s;
    } else {
        dbeta[j - p.c] = s;
    }
}
