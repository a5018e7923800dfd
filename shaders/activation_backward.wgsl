// Elementwise activations, backward, four elements per lane (ops::binary::Map): dx from x
// and dy. 1-D grid folded into 2-D.
struct Params { n: u32, offset: u32, slope: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;

// erf in f32, four at a time; max abs error 1.1e-7 (measured on lavapipe, dense grid of
// [-6, 6] vs f64). |x| < 1: x * P(x^2); 1 <= |x| < 4: 1 - exp(-x^2) * Q((|x| - 2.5) / 1.5),
// where P and Q are Chebyshev fits (mpmath.chebyfit: degree 7 for erf(sqrt s)/sqrt s on
// s in [0, 1], error 3e-11; degree 12 for erfc(t) exp(t^2) on t in [1, 4], error 2e-9);
// |x| >= 4: +-1 (erfc(4) = 1.5e-8). Both branches are evaluated and selected per component.
// `ex` = exp(-x^2), which GELU's backward shares with its density.
fn erf4(x: vec4<f32>, ex: vec4<f32>) -> vec4<f32> {
    let t = abs(x);
    let s = x * x;
    var r = vec4<f32>(-9.667044650996104e-06);
    r = fma(r, s, vec4<f32>(0.00011265958892181516));
    r = fma(r, s, vec4<f32>(-0.0008484080317430198));
    r = fma(r, s, vec4<f32>(0.005221031606197357));
    r = fma(r, s, vec4<f32>(-0.026865430176258087));
    r = fma(r, s, vec4<f32>(0.11283782124519348));
    r = fma(r, s, vec4<f32>(-0.37612637877464294));
    r = fma(r, s, vec4<f32>(1.128379225730896));
    let u = (min(t, vec4<f32>(4.0)) - 2.5) * (1.0 / 1.5);
    var q = vec4<f32>(1.3365835911827162e-05);
    q = fma(q, u, vec4<f32>(-3.6888912291033193e-05));
    q = fma(q, u, vec4<f32>(5.630357554764487e-05));
    q = fma(q, u, vec4<f32>(-0.000144057790748775));
    q = fma(q, u, vec4<f32>(0.00041298693395219743));
    q = fma(q, u, vec4<f32>(-0.0010170089080929756));
    q = fma(q, u, vec4<f32>(0.0024024874437600374));
    q = fma(q, u, vec4<f32>(-0.005567380227148533));
    q = fma(q, u, vec4<f32>(0.012489520013332367));
    q = fma(q, u, vec4<f32>(-0.027005717158317566));
    q = fma(q, u, vec4<f32>(0.05611048638820648));
    q = fma(q, u, vec4<f32>(-0.11152100563049316));
    q = fma(q, u, vec4<f32>(0.21080636978149414));
    let big = sign(x) * (1.0 - ex * q);
    return select(select(sign(x), big, t < vec4<f32>(4.0)), x * r, t < vec4<f32>(1.0));
}

// dx = dy where x > 0, slope * dy elsewhere (torch: the kink's gradient is slope).
@compute @workgroup_size(256)
fn leaky_relu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let g = dy[i];
        dx[i] = select(p.slope * g, g, x[i] > vec4<f32>(0.0));
    }
}

// dx = dy (Phi(x) + x phi(x)), Phi(x) = 0.5 (1 + erf(x / sqrt 2)), phi(x) = exp(-x^2/2) / sqrt(2 pi)
@compute @workgroup_size(256)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let v = x[i];
        let t = v * 0.70710678118654752;
        let ex = exp(-t * t);
        let cdf = 0.5 * (1.0 + erf4(t, ex));
        let pdf = 0.39894228040143268 * ex;
        dx[i] = dy[i] * (cdf + v * pdf);
    }
}
