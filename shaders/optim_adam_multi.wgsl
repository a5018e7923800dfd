// optim_adam.wgsl over up to 11 tensors in one dispatch (the arithmetic per element is the
// same, so the result is bit-identical to one dispatch per tensor): tensor j has n[j] vec4s
// and bindings w_j, g_j, m_j, v_j; workgroup z = j. Unused slots repeat tensor 0 with n = 0.
// Needs 44 storage buffers per stage; ops::optim falls back to one dispatch per tensor.
struct Params {
    count: u32, w1: f32, beta2: f32, w2: f32, step_size: f32, bc2_sqrt: f32, eps: f32,
    wd: f32, decay: f32, decoupled: u32,
    // vec4s of tensor j at n[j / 4][j % 4].
    n: array<vec4<u32>, 3>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w0: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g0: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m0: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v0: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> w1: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> g1: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> m1: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> v1: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> w2: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> g2: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read_write> m2: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read_write> v2: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read_write> w3: array<vec4<f32>>;
@group(0) @binding(14) var<storage, read> g3: array<vec4<f32>>;
@group(0) @binding(15) var<storage, read_write> m3: array<vec4<f32>>;
@group(0) @binding(16) var<storage, read_write> v3: array<vec4<f32>>;
@group(0) @binding(17) var<storage, read_write> w4: array<vec4<f32>>;
@group(0) @binding(18) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(19) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(20) var<storage, read_write> v4: array<vec4<f32>>;
@group(0) @binding(21) var<storage, read_write> w5: array<vec4<f32>>;
@group(0) @binding(22) var<storage, read> g5: array<vec4<f32>>;
@group(0) @binding(23) var<storage, read_write> m5: array<vec4<f32>>;
@group(0) @binding(24) var<storage, read_write> v5: array<vec4<f32>>;
@group(0) @binding(25) var<storage, read_write> w6: array<vec4<f32>>;
@group(0) @binding(26) var<storage, read> g6: array<vec4<f32>>;
@group(0) @binding(27) var<storage, read_write> m6: array<vec4<f32>>;
@group(0) @binding(28) var<storage, read_write> v6: array<vec4<f32>>;
@group(0) @binding(29) var<storage, read_write> w7: array<vec4<f32>>;
@group(0) @binding(30) var<storage, read> g7: array<vec4<f32>>;
@group(0) @binding(31) var<storage, read_write> m7: array<vec4<f32>>;
@group(0) @binding(32) var<storage, read_write> v7: array<vec4<f32>>;
@group(0) @binding(33) var<storage, read_write> w8: array<vec4<f32>>;
@group(0) @binding(34) var<storage, read> g8: array<vec4<f32>>;
@group(0) @binding(35) var<storage, read_write> m8: array<vec4<f32>>;
@group(0) @binding(36) var<storage, read_write> v8: array<vec4<f32>>;
@group(0) @binding(37) var<storage, read_write> w9: array<vec4<f32>>;
@group(0) @binding(38) var<storage, read> g9: array<vec4<f32>>;
@group(0) @binding(39) var<storage, read_write> m9: array<vec4<f32>>;
@group(0) @binding(40) var<storage, read_write> v9: array<vec4<f32>>;
@group(0) @binding(41) var<storage, read_write> w10: array<vec4<f32>>;
@group(0) @binding(42) var<storage, read> g10: array<vec4<f32>>;
@group(0) @binding(43) var<storage, read_write> m10: array<vec4<f32>>;
@group(0) @binding(44) var<storage, read_write> v10: array<vec4<f32>>;

@compute @workgroup_size(256)
fn adam_step_multi(@builtin(global_invocation_id) gid: vec3<u32>,
                   @builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = wid.z;
    let i = gid.x + gid.y * nwg.x * 256u;
    if (j >= p.count || i >= p.n[j / 4u][j % 4u]) { return; }
    var wi: vec4<f32>;
    var gi: vec4<f32>;
    var mi: vec4<f32>;
    var vi: vec4<f32>;
    switch j {
        case 0u: { wi = w0[i]; gi = g0[i]; mi = m0[i]; vi = v0[i]; }
        case 1u: { wi = w1[i]; gi = g1[i]; mi = m1[i]; vi = v1[i]; }
        case 2u: { wi = w2[i]; gi = g2[i]; mi = m2[i]; vi = v2[i]; }
        case 3u: { wi = w3[i]; gi = g3[i]; mi = m3[i]; vi = v3[i]; }
        case 4u: { wi = w4[i]; gi = g4[i]; mi = m4[i]; vi = v4[i]; }
        case 5u: { wi = w5[i]; gi = g5[i]; mi = m5[i]; vi = v5[i]; }
        case 6u: { wi = w6[i]; gi = g6[i]; mi = m6[i]; vi = v6[i]; }
        case 7u: { wi = w7[i]; gi = g7[i]; mi = m7[i]; vi = v7[i]; }
        case 8u: { wi = w8[i]; gi = g8[i]; mi = m8[i]; vi = v8[i]; }
        case 9u: { wi = w9[i]; gi = g9[i]; mi = m9[i]; vi = v9[i]; }
        default: { wi = w10[i]; gi = g10[i]; mi = m10[i]; vi = v10[i]; }
    }
    if (p.decoupled != 0u) { wi = wi * p.decay; } else { gi = gi + p.wd * wi; }
    let mn = mi + p.w1 * (gi - mi);
    let vn = vi * p.beta2 + p.w2 * gi * gi;
    let denom = sqrt(vn) / p.bc2_sqrt + p.eps;
    let wn = wi + (-p.step_size) * (mn / denom);
    switch j {
        case 0u: { w0[i] = wn; m0[i] = mn; v0[i] = vn; }
        case 1u: { w1[i] = wn; m1[i] = mn; v1[i] = vn; }
        case 2u: { w2[i] = wn; m2[i] = mn; v2[i] = vn; }
        case 3u: { w3[i] = wn; m3[i] = mn; v3[i] = vn; }
        case 4u: { w4[i] = wn; m4[i] = mn; v4[i] = vn; }
        case 5u: { w5[i] = wn; m5[i] = mn; v5[i] = vn; }
        case 6u: { w6[i] = wn; m6[i] = mn; v6[i] = vn; }
        case 7u: { w7[i] = wn; m7[i] = mn; v7[i] = vn; }
        case 8u: { w8[i] = wn; m8[i] = mn; v8[i] = vn; }
        case 9u: { w9[i] = wn; m9[i] = mn; v9[i] = vn; }
        default: { w10[i] = wn; m10[i] = mn; v10[i] = vn; }
    }
}
