// PReLU forward: out = x > 0 ? x : alpha[ch] * x, channel as in bias.wgsl (alpha [C] on dim 1:
// inner = H*W; alpha [1]: c = 1). Four elements per lane (ops::binary::Map).
struct Params { n: u32, offset: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> alpha: array<f32>;

fn chan(e: u32) -> f32 { return alpha[(e / p.inner) % p.c]; }

@compute @workgroup_size(256)
fn prelu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let e = p.offset + 4u * i;
        var a: vec4<f32>;
        if (p.inner % 4u == 0u) {
            a = vec4<f32>(chan(e));
        } else {
            a = vec4<f32>(chan(e), chan(e + 1u), chan(e + 2u), chan(e + 3u));
        }
        let v = x[i];
        out[i] = select(a * v, v, v > vec4<f32>(0.0));
    }
}
