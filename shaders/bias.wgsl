// out = x + b[ch], x viewed as [outer, c, inner] (4-D NCHW: inner = H*W; 2-D/3-D: c = last
// dim, inner = 1); element e = offset + 4 i + k has ch = (e / inner) % c. Four elements per
// lane (ops::binary::Map); when inner % 4 == 0 the four share one channel.
struct Params { n: u32, offset: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn chan(e: u32) -> f32 { return b[(e / p.inner) % p.c]; }

@compute @workgroup_size(256)
fn bias_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let e = p.offset + 4u * i;
        var bv: vec4<f32>;
        if (p.inner % 4u == 0u) {
            bv = vec4<f32>(chan(e));
        } else {
            bv = vec4<f32>(chan(e), chan(e + 1u), chan(e + 2u), chan(e + 3u));
        }
        out[i] = x[i] + bv;
    }
}
