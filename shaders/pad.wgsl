// Reflect padding on the bottom/right edges (F.pad(x, (0, right, 0, bottom), mode='reflect'))
// and top-left crops, with their backwards; all gathers, one lane per destination element.
// p.h / p.w: the unpadded (small) size; p.ho / p.wo: the padded (big) size; p.nc = N * C.
// reflect: index i of the big axis reads small index i < h ? i : 2 (h - 1) - i.
struct Params { nc: u32, h: u32, w: u32, ho: u32, wo: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn lin(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

fn reflect(i: u32, size: u32) -> u32 {
    return select(2u * (size - 1u) - i, i, i < size);
}

// out: padded [nc, ho, wo]; src: [nc, h, w].
@compute @workgroup_size(256)
fn reflect_pad_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    if (idx >= p.nc * p.ho * p.wo) {
        return;
    }
    let x = idx % p.wo;
    let y = (idx / p.wo) % p.ho;
    let nc = idx / (p.wo * p.ho);
    out[idx] = src[(nc * p.h + reflect(y, p.h)) * p.w + reflect(x, p.w)];
}

// out: [nc, h, w]; src: the padded gradient [nc, ho, wo]. Small index i also receives from big
// index 2 (h - 1) - i when that lies in the padding [h, ho).
@compute @workgroup_size(256)
fn reflect_pad_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    if (idx >= p.nc * p.h * p.w) {
        return;
    }
    let x = idx % p.w;
    let y = (idx / p.w) % p.h;
    let nc = idx / (p.w * p.h);
    let ym = 2u * (p.h - 1u) - y;
    let xm = 2u * (p.w - 1u) - x;
    let has_y = y + 1u < p.h && ym < p.ho;
    let has_x = x + 1u < p.w && xm < p.wo;
    let b = nc * p.ho;
    var s = src[(b + y) * p.wo + x];
    if (has_x) {
        s += src[(b + y) * p.wo + xm];
    }
    if (has_y) {
        var t = src[(b + ym) * p.wo + x];
        if (has_x) {
            t += src[(b + ym) * p.wo + xm];
        }
        s += t;
    }
    out[idx] = s;
}

// out: cropped [nc, h, w]; src: [nc, ho, wo].
@compute @workgroup_size(256)
fn crop_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    if (idx >= p.nc * p.h * p.w) {
        return;
    }
    let x = idx % p.w;
    let y = (idx / p.w) % p.h;
    let nc = idx / (p.w * p.h);
    out[idx] = src[(nc * p.ho + y) * p.wo + x];
}

// out: [nc, ho, wo] (zero outside the crop); src: the cropped gradient [nc, h, w].
@compute @workgroup_size(256)
fn crop_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    if (idx >= p.nc * p.ho * p.wo) {
        return;
    }
    let x = idx % p.wo;
    let y = (idx / p.wo) % p.ho;
    let nc = idx / (p.wo * p.ho);
    var v = 0.0;
    if (y < p.h && x < p.w) {
        v = src[(nc * p.h + y) * p.w + x];
    }
    out[idx] = v;
}
