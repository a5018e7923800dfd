// Reflect padding on the bottom/right edges (F.pad(x, (0, right, 0, bottom), mode='reflect'))
// and top-left crops, with their backwards; all gathers, one lane per destination element.
// Grid: x = columns / 64, y (+ z folded) = blocks of 4 destination rows over N * C * height.
// p.h / p.w: the unpadded (small) size; p.ho / p.wo: the padded (big) size; p.nc = N * C.
// reflect: index i of the big axis reads small index i < h ? i : 2 (h - 1) - i.
// Split launches (tensors larger than one storage binding): destination rows u0..u1 only, out
// and src bound from elements bo / bs.
struct Params { nc: u32, h: u32, w: u32, ho: u32, wo: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

// The destination row (over N * C * height) of this workgroup: uniform, so the row's divisions
// are done once per workgroup row rather than per element.
fn row_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y + wid.z * nwg.y;
}

fn reflect(i: u32, size: u32) -> u32 {
    return select(2u * (size - 1u) - i, i, i < size);
}

// out: padded [nc, ho, wo]; src: [nc, h, w].
@compute @workgroup_size(64, 4)
fn reflect_pad_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.wo) {
        return;
    }
    let y = row % p.ho;
    let nc = row / p.ho;
    out[row * p.wo + x - p.bo] = src[(nc * p.h + reflect(y, p.h)) * p.w + reflect(x, p.w) - p.bs];
}

// out: [nc, h, w]; src: the padded gradient [nc, ho, wo]. Small index i also receives from big
// index 2 (h - 1) - i when that lies in the padding [h, ho).
@compute @workgroup_size(64, 4)
fn reflect_pad_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                        @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(local_invocation_id) lid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.w) {
        return;
    }
    let y = row % p.h;
    let nc = row / p.h;
    let ym = 2u * (p.h - 1u) - y;
    let xm = 2u * (p.w - 1u) - x;
    let has_y = y + 1u < p.h && ym < p.ho;
    let has_x = x + 1u < p.w && xm < p.wo;
    let b = nc * p.ho;
    var s = src[(b + y) * p.wo + x - p.bs];
    if (has_x) {
        s += src[(b + y) * p.wo + xm - p.bs];
    }
    if (has_y) {
        var t = src[(b + ym) * p.wo + x - p.bs];
        if (has_x) {
            t += src[(b + ym) * p.wo + xm - p.bs];
        }
        s += t;
    }
    out[row * p.w + x - p.bo] = s;
}

// out: cropped [nc, h, w]; src: [nc, ho, wo].
@compute @workgroup_size(64, 4)
fn crop_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(workgroup_id) wid: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.w) {
        return;
    }
    out[row * p.w + x - p.bo] = src[((row / p.h) * p.ho + row % p.h) * p.wo + x - p.bs];
}

// out: [nc, ho, wo] (zero outside the crop); src: the cropped gradient [nc, h, w].
@compute @workgroup_size(64, 4)
fn crop_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, nwg) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.wo) {
        return;
    }
    let y = row % p.ho;
    var v = 0.0;
    if (y < p.h && x < p.w) {
        v = src[((row / p.ho) * p.h + y) * p.w + x - p.bs];
    }
    out[row * p.wo + x - p.bo] = v;
}
