// Backward of shaders/pooled_align_forward.wgsl: du [2P, C] = dl * d loss / d u.
// One workgroup. Lanes centre the halves (as the forward), then each lane takes whole pairs and
// writes d loss / d(centred row) for both rows of its pair; then lanes take channels and remove
// each half's mean of those gradients (the centring's own derivative).
//
// For reg(a, v) = mean (a - v)^2 + mean (a a^T - v v^T)^2 over C and C^2 entries:
//   d/da_k = 2/C (a_k - v_k) + 4/C^2 sum_l D_kl a_l,  d/dv_k = -2/C (a_k - v_k) - 4/C^2 sum_l D_kl v_l,
//   D = a a^T - v v^T. The map Z = sqrt2 (cos s + sin s), s = pi/2 (m - min) / (max - min),
// m = x w + b: dZ/ds = sqrt2 (cos s - sin s); with t = (m - min) / r, r = max - min, k = pi/2,
//   d/dm_j = k/r (g_j - [j = argmin] S - [j = argmax] T + [j = argmin] T), S = sum g, T = sum g t,
// and d/dx = w d/dm. Ties of min / max go to the first index; r = 0 gives s = 0 and no gradient.
struct Params { pairs: u32, c: u32, w: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> rb: array<f32>;
@group(0) @binding(3) var<storage, read> dl: array<f32>;
@group(0) @binding(4) var<storage, read_write> du: array<f32>;
// [0, 2PC): centred rows; [2PC, 4PC): their maps Z; [4PC, 6PC): gradients w.r.t. centred rows.
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;

const WG: u32 = 64u;
const HALF_PI: f32 = 1.5707963267948966;
const SQRT2: f32 = 1.4142135623730951;

struct MinMax { mn: f32, mx: f32, amin: u32, amax: u32 }

fn min_max(row: u32) -> MinMax {
    let c = p.c;
    var r = MinMax(3.4e38, -3.4e38, 0u, 0u);
    for (var k = 0u; k < c; k++) {
        let m = scratch[row * c + k] * p.w + rb[k];
        if (m < r.mn) { r.mn = m; r.amin = k; }
        if (m > r.mx) { r.mx = m; r.amax = k; }
    }
    return r;
}

fn s_of(row: u32, k: u32, mm: MinMax) -> f32 {
    let r = mm.mx - mm.mn;
    if (r > 0.0) { return HALF_PI * (scratch[row * p.c + k] * p.w + rb[k] - mm.mn) / r; }
    return 0.0;
}

// d reg(x_ia, x_ib) / d x_row_k for rows of the block at `base` (row is ia or ib).
fn reg_grad(base: u32, ia: u32, ib: u32, first: bool, k: u32) -> f32 {
    let c = p.c;
    let fc = f32(c);
    let a = scratch[base + ia * c + k];
    let v = scratch[base + ib * c + k];
    var q = 0.0;
    for (var l = 0u; l < c; l++) {
        let al = scratch[base + ia * c + l];
        let vl = scratch[base + ib * c + l];
        let d = a * al - v * vl;
        if (first) { q += d * al; } else { q += d * vl; }
    }
    let g = 2.0 / fc * (a - v) + 4.0 / (fc * fc) * q;
    if (first) { return g; }
    return -g;
}

// Writes the gradient w.r.t. centred row `row` (pair rows ia, ib; `first`: row == ia).
fn row_grad(row: u32, ia: u32, ib: u32, first: bool) {
    let c = p.c;
    let np = p.pairs;
    let z0 = 2u * np * c;
    let g0 = 4u * np * c;
    let mm = min_max(row);
    let r = mm.mx - mm.mn;
    // Pass 1: g_s = dZ * dZ/ds into du (this lane's rows; overwritten after the barrier).
    var sum_g = 0.0;
    var sum_gt = 0.0;
    for (var k = 0u; k < c; k++) {
        let s = s_of(row, k, mm);
        let gs = reg_grad(z0, ia, ib, first, k) * SQRT2 * (cos(s) - sin(s));
        du[row * c + k] = gs;
        sum_g += gs;
        if (r > 0.0) { sum_gt += gs * (s / HALF_PI); }
    }
    for (var k = 0u; k < c; k++) {
        var gm = 0.0;
        if (r > 0.0) {
            gm = du[row * c + k];
            if (k == mm.amin) { gm += sum_gt - sum_g; }
            if (k == mm.amax) { gm -= sum_gt; }
            gm *= HALF_PI / r;
        }
        scratch[g0 + row * c + k] = reg_grad(0u, ia, ib, first, k) + p.w * gm;
    }
}

fn z_row(row: u32) {
    let c = p.c;
    let z0 = 2u * p.pairs * c;
    let mm = min_max(row);
    for (var k = 0u; k < c; k++) {
        let s = s_of(row, k, mm);
        scratch[z0 + row * c + k] = SQRT2 * (cos(s) + sin(s));
    }
}

@compute @workgroup_size(64)
fn pooled_align_backward(@builtin(local_invocation_index) lid: u32) {
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
    for (var i = lid; i < np; i += WG) {
        z_row(i);
        z_row(np + i);
        row_grad(i, i, np + i, true);
        row_grad(np + i, i, np + i, false);
    }
    storageBarrier();
    workgroupBarrier();
    let g0 = 4u * np * c;
    let scale = dl[0];
    for (var k = lid; k < c; k += WG) {
        for (var h = 0u; h < 2u; h++) {
            var s = 0.0;
            for (var i = 0u; i < np; i++) { s += scratch[g0 + (h * np + i) * c + k]; }
            let mean = s / f32(np);
            for (var i = 0u; i < np; i++) {
                let row = h * np + i;
                du[row * c + k] = scale * (scratch[g0 + row * c + k] - mean);
            }
        }
    }
}
