// The pooled alignment loss of the published "Navigating Beyond Dropout" code (ops::pooled_align),
// forward. u [2P, C]: one pooled feature vector per image; rows i and P + i are a pair. One
// workgroup: lanes first centre each half over its P rows (per channel), then each lane takes
// whole pairs, and lane 0 sums the per-pair values in index order (deterministic).
//
// Per pair (a, v) of centred vectors and their random-feature maps (Za, Zv):
//   reg(a, v) = mean_c (a_c - v_c)^2 + mean_{c,d} (a_c a_d - v_c v_d)^2
//   Z(x)_c = sqrt2 (cos s_c + sin s_c), s = pi/2 * (m - min m) / (max m - min m), m = x * w + b
// loss = sum over pairs of reg(a, v) + reg(Za, Zv).
struct Params { pairs: u32, c: u32, w: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> rb: array<f32>;
// [0]: the loss; [1 + i]: pair i's value.
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// [0, 2PC): centred rows; [2PC, 4PC): their random-feature maps.
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;

const WG: u32 = 64u;
const HALF_PI: f32 = 1.5707963267948966;
const SQRT2: f32 = 1.4142135623730951;

// Random-feature map of row `row` of the centred block into scratch[z0 + row * C ..].
fn feature_map(row: u32, z0: u32) {
    let c = p.c;
    var mn = 3.4e38;
    var mx = -3.4e38;
    for (var k = 0u; k < c; k++) {
        let m = scratch[row * c + k] * p.w + rb[k];
        mn = min(mn, m);
        mx = max(mx, m);
    }
    let r = mx - mn;
    for (var k = 0u; k < c; k++) {
        let m = scratch[row * c + k] * p.w + rb[k];
        var s = 0.0;
        if (r > 0.0) { s = HALF_PI * (m - mn) / r; }
        scratch[z0 + row * c + k] = SQRT2 * (cos(s) + sin(s));
    }
}

// reg(x, y) of rows ia, ib of the block starting at `base`.
fn reg(base: u32, ia: u32, ib: u32) -> f32 {
    let c = p.c;
    var lin = 0.0;
    var quad = 0.0;
    for (var k = 0u; k < c; k++) {
        let a = scratch[base + ia * c + k];
        let v = scratch[base + ib * c + k];
        lin += (a - v) * (a - v);
        for (var l = 0u; l < c; l++) {
            let d = a * scratch[base + ia * c + l] - v * scratch[base + ib * c + l];
            quad += d * d;
        }
    }
    let fc = f32(c);
    return lin / fc + quad / (fc * fc);
}

@compute @workgroup_size(64)
fn pooled_align_forward(@builtin(local_invocation_index) lid: u32) {
    let np = p.pairs;
    let c = p.c;
    for (var k = lid; k < c; k += WG) {
        for (var h = 0u; h < 2u; h++) {
            var s = 0.0;
            for (var i = 0u; i < np; i++) { s += u[(h * np + i) * c + k]; }
            let mean = s / f32(np);
            for (var i = 0u; i < np; i++) {
                let row = h * np + i;
                scratch[row * c + k] = u[row * c + k] - mean;
            }
        }
    }
    storageBarrier();
    workgroupBarrier();
    let z0 = 2u * np * c;
    for (var i = lid; i < np; i += WG) {
        feature_map(i, z0);
        feature_map(np + i, z0);
        out[1u + i] = reg(0u, i, np + i) + reg(z0, i, np + i);
    }
    storageBarrier();
    workgroupBarrier();
    if (lid == 0u) {
        var total = 0.0;
        for (var i = 0u; i < np; i++) { total += out[1u + i]; }
        out[0] = total;
    }
}
