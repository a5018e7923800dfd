//! Pixel shuffle, nearest/bilinear upsampling, concat/split, reflect padding and crops:
//! forward vs f64 references, gradients vs central differences, and bad input.
mod common;
use common::*;
use sralign::ops::{binary, concat, pad, pixel_shuffle, upsample};
use sralign::Tensor;

const SHAPES: [[usize; 4]; 2] = [[2, 3, 7, 5], [2, 5, 9, 6]];

#[test]
fn pixel_shuffle_matches_reference_and_gradients() {
    // Widths 8 and 4 take the vec4 kernels (r = 2, width a multiple of 4).
    for (s, r) in [
        ([2, 12, 7, 5], 2),
        ([2, 9, 4, 3], 3),
        ([1, 20, 9, 6], 2),
        ([2, 8, 5, 8], 2),
        ([1, 12, 3, 4], 2),
    ] {
        check_op(
            "pixel_shuffle",
            &[input(&s)],
            STRICT,
            |t| pixel_shuffle::pixel_shuffle(&t[0], r),
            |x| pixel_shuffle::reference::pixel_shuffle(&x[0], s, r),
        );
    }
}

#[test]
fn nearest2x_matches_reference_and_gradients() {
    for s in SHAPES {
        check_op(
            "nearest2x",
            &[input(&s)],
            STRICT,
            |t| upsample::nearest2x(&t[0]),
            |x| upsample::reference::nearest2x(&x[0], s),
        );
    }
}

#[test]
fn bilinear4x_matches_reference_and_gradients() {
    for s in [SHAPES[0], SHAPES[1], [1, 2, 1, 3]] {
        check_op(
            "bilinear4x",
            &[input(&s)],
            STRICT,
            |t| upsample::bilinear4x(&t[0]),
            |x| upsample::reference::bilinear4x(&x[0], s),
        );
    }
}

#[test]
fn pixel_unshuffle_matches_reference_and_gradients() {
    for (s, r) in [([2, 3, 8, 6], 2), ([1, 2, 9, 6], 3), ([2, 3, 6, 16], 2)] {
        check_op(
            "pixel_unshuffle",
            &[input(&s)],
            STRICT,
            |t| pixel_shuffle::pixel_unshuffle(&t[0], r),
            |x| pixel_shuffle::reference::pixel_unshuffle(&x[0], s, r),
        );
    }
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[1, 3, 7, 6]).unwrap();
    let e = pixel_shuffle::pixel_unshuffle(&x, 2)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("pixel_unshuffle") && e.contains("[1, 3, 7, 6]"),
        "{e}"
    );
}

#[test]
fn bilinear_x2_x3_match_reference_and_gradients() {
    for f in [2, 3] {
        for s in [SHAPES[0], [1, 2, 1, 3]] {
            check_op(
                &format!("bilinear x{f}"),
                &[input(&s)],
                STRICT,
                |t| upsample::bilinear(&t[0], f),
                |x| upsample::reference::bilinear(&x[0], s, f),
            );
        }
    }
}

#[test]
fn bilinear4x_matches_pytorch_values() {
    // F.interpolate(torch.tensor([[[[0., 1.]]]]), scale_factor=4, mode='bilinear'): edge rows
    // and columns clamp, the source coordinate of output o is (o + 0.5) / 4 - 0.5.
    let gpu = gpu();
    let x = Tensor::from_slice(&gpu, &[1, 1, 1, 2], &[0.0, 1.0]).unwrap();
    let y = upsample::bilinear4x(&x).unwrap().to_vec().unwrap();
    let row = [0.0, 0.0, 0.125, 0.375, 0.625, 0.875, 1.0, 1.0];
    assert_eq!(y.len(), 32);
    for r in 0..4 {
        assert_eq!(&y[r * 8..r * 8 + 8], &row, "row {r}");
    }
}

#[test]
fn concat_matches_reference_and_gradients() {
    let chans = [3, 1, 4];
    check_op(
        "concat",
        &[
            input(&[2, 3, 7, 5]),
            input(&[2, 1, 7, 5]),
            input(&[2, 4, 7, 5]),
        ],
        STRICT,
        |t| concat::concat(&[&t[0], &t[1], &t[2]]),
        |x| concat::reference::concat(&[&x[0], &x[1], &x[2]], &chans, 2, 35),
    );
}

#[test]
fn split_gradients_accumulate_over_the_parts_used() {
    let s = [2, 8, 9, 6];
    let dims = (2, 8, 54);
    // Parts 2 and 0 used (in that order), part 1 unused.
    check_op(
        "split_some_parts",
        &[input(&s)],
        STRICT,
        |t| {
            let p = concat::split(&t[0], &[3, 1, 4])?;
            concat::concat(&[&p[2], &p[0]])
        },
        |x| {
            let a = concat::reference::slice(&x[0], dims, 4, 4);
            let b = concat::reference::slice(&x[0], dims, 0, 3);
            concat::reference::concat(&[&a, &b], &[4, 3], 2, 54)
        },
    );
    // One part used twice, another once.
    check_op(
        "split_reused_part",
        &[input(&s)],
        STRICT,
        |t| {
            let p = concat::split(&t[0], &[3, 3, 2])?;
            binary::add(&binary::add(&p[1], &p[1])?, &p[0])
        },
        |x| {
            let a = concat::reference::slice(&x[0], dims, 3, 3);
            let b = concat::reference::slice(&x[0], dims, 0, 3);
            a.iter().zip(&b).map(|(u, v)| 2.0 * u + v).collect()
        },
    );
}

#[test]
fn reflect_pad_matches_reference_and_gradients() {
    for (s, bottom, right) in [(SHAPES[0], 6, 4), (SHAPES[1], 3, 0), (SHAPES[1], 0, 5)] {
        check_op(
            "reflect_pad",
            &[input(&s)],
            STRICT,
            |t| pad::reflect_pad(&t[0], bottom, right),
            |x| pad::reference::reflect_pad(&x[0], s, bottom, right),
        );
    }
}

#[test]
fn reflect_pad_matches_numpy_values() {
    // numpy.pad([1, 2, 3], (0, 2), 'reflect') == [1, 2, 3, 2, 1]
    let gpu = gpu();
    let x = Tensor::from_slice(&gpu, &[1, 1, 1, 3], &[1.0, 2.0, 3.0]).unwrap();
    let y = pad::reflect_pad(&x, 0, 2).unwrap().to_vec().unwrap();
    assert_eq!(y, [1.0, 2.0, 3.0, 2.0, 1.0]);
}

#[test]
fn crop_matches_reference_and_gradients() {
    for (s, h, w) in [(SHAPES[0], 4, 3), (SHAPES[1], 9, 1)] {
        check_op(
            "crop",
            &[input(&s)],
            STRICT,
            |t| pad::crop(&t[0], h, w),
            |x| pad::reference::crop(&x[0], s, h, w),
        );
    }
    // crop undoes reflect_pad.
    let s = SHAPES[1];
    check_op(
        "pad_then_crop",
        &[input(&s)],
        STRICT,
        |t| pad::crop(&pad::reflect_pad(&t[0], 7, 2)?, 9, 6),
        |x| x[0].clone(),
    );
}

#[test]
fn resampling_rejects_bad_input() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[2, 3, 7, 5]).unwrap();
    let has = |e: String, op: &str, shape: &str| {
        assert!(e.contains(op) && e.contains(shape), "{e}");
    };
    let e = pixel_shuffle::pixel_shuffle(&x, 2).unwrap_err().to_string();
    has(e, "pixel_shuffle_forward", "[2, 3, 7, 5]");
    let e = pixel_shuffle::pixel_shuffle(&x, 0).unwrap_err().to_string();
    has(e, "pixel_shuffle_forward", "[2, 3, 7, 5]");
    let x2 = Tensor::zeros(&gpu, &[6, 5]).unwrap();
    has(
        upsample::nearest2x(&x2).unwrap_err().to_string(),
        "nearest2x_forward",
        "[6, 5]",
    );
    has(
        upsample::bilinear4x(&x2).unwrap_err().to_string(),
        "bilinear_forward",
        "[6, 5]",
    );
    let y = Tensor::zeros(&gpu, &[2, 3, 6, 5]).unwrap();
    let e = concat::concat(&[&x, &y]).unwrap_err().to_string();
    assert!(
        e.contains("concat") && e.contains("[2, 3, 7, 5]") && e.contains("[2, 3, 6, 5]"),
        "{e}"
    );
    assert!(concat::concat(&[])
        .unwrap_err()
        .to_string()
        .contains("concat"));
    let e = concat::split(&x, &[2, 2]).unwrap_err().to_string();
    has(e, "split", "[2, 3, 7, 5]");
    let e = concat::split(&x, &[3, 0]).unwrap_err().to_string();
    has(e, "split", "[3, 0]");
    let e = pad::reflect_pad(&x, 7, 0).unwrap_err().to_string();
    has(e, "reflect_pad_forward", "[2, 3, 7, 5]");
    let e = pad::reflect_pad(&x, 0, 5).unwrap_err().to_string();
    has(e, "reflect_pad_forward", "[2, 3, 7, 5]");
    let e = pad::crop(&x, 8, 5).unwrap_err().to_string();
    has(e, "crop_forward", "[2, 3, 7, 5]");
    let e = pad::crop(&x, 0, 5).unwrap_err().to_string();
    has(e, "crop_forward", "[2, 3, 7, 5]");
}

#[test]
fn row_kernels_fold_grids_past_the_workgroup_limit() {
    // More than 65535 blocks of 4 rows: the grid folds them into z.
    let gpu = gpu();
    let (ca, cb) = (270_000, 20_000);
    let a: Vec<f32> = (0..ca * 2).map(|i| i as f32).collect();
    let b: Vec<f32> = (0..cb * 2).map(|i| -(i as f32)).collect();
    let ta = Tensor::from_slice(&gpu, &[1, ca, 1, 2], &a).unwrap();
    let tb = Tensor::from_slice(&gpu, &[1, cb, 1, 2], &b).unwrap();
    let cat = concat::concat(&[&ta, &tb]).unwrap();
    let got = cat.to_vec().unwrap();
    assert_eq!(&got[..ca * 2], &a[..]);
    assert_eq!(&got[ca * 2..], &b[..]);
    let parts = concat::split(&cat, &[ca, cb]).unwrap();
    assert_eq!(parts[1].to_vec().unwrap(), b);
    let up = upsample::nearest2x(&cat).unwrap().to_vec().unwrap();
    let last = ca + cb - 1;
    assert_eq!(up[8 * last + 1], got[2 * last]);
    assert_eq!(up[8 * last + 7], got[2 * last + 1]);
}

/// Runs `f` forward and backward (with a fixed random dout) on a default Gpu and on one whose
/// storage bindings are limited to `limit` bytes (so the launches split, with unaligned
/// piece starts); the output and every gradient must be bit-identical.
fn same_bits_split(
    name: &str,
    shapes: &[&[usize]],
    limit: u64,
    f: impl Fn(&[Tensor]) -> sralign::Result<Tensor>,
) {
    use rand::{Rng, SeedableRng};
    let run = |gpu: &sralign::Gpu| -> Vec<Vec<u32>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed_of(name));
        let ts: Vec<Tensor> = shapes
            .iter()
            .map(|s| {
                let v = random(&mut rng, s.iter().product(), &Init::Uniform(-1.0, 1.0));
                let t = Tensor::from_slice(gpu, s, &v).unwrap();
                t.set_requires_grad(true);
                t
            })
            .collect();
        let out = f(&ts).unwrap_or_else(|e| panic!("{name} (limit {limit}): {e}"));
        let d: Vec<f32> = (0..out.numel())
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let dout = Tensor::from_slice(gpu, out.shape(), &d).unwrap();
        let grads = sralign::autograd::backward_with(&out, &dout)
            .unwrap_or_else(|e| panic!("{name} backward (limit {limit}): {e}"));
        let bits = |t: &Tensor| t.to_vec().unwrap().iter().map(|v| v.to_bits()).collect();
        let biggest = ts.iter().chain([&out]).map(|t| t.bytes()).max().unwrap();
        assert!(biggest > limit, "{name}: nothing to split at {limit} bytes");
        let mut all = vec![bits(&out)];
        for t in &ts {
            all.push(bits(grads.get(t).expect("a gradient")));
        }
        all
    };
    let full = gpu();
    // A bound range starts at an offset aligned down to min_storage_buffer_offset_alignment
    // (256 bytes under WebGPU's default limits): leave that much room on top of the limit.
    let limit = limit + full.limits().min_storage_buffer_offset_alignment as u64;
    let want = run(&full);
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(limit),
        ..Default::default()
    })
    .unwrap();
    let got = run(&small);
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            g == w,
            "{name} (limit {limit}): result {k} differs from the unsplit launch"
        );
    }
}

#[test]
fn resampling_splits_tensors_larger_than_a_binding() {
    // Limits down to a few rows: pieces split samples and channels at unaligned offsets.
    for limit in [4096, 1024] {
        same_bits_split("pixel_shuffle split", &[&[3, 12, 7, 9]], limit, |t| {
            pixel_shuffle::pixel_shuffle(&t[0], 2)
        });
        // Width 8: the vec4 kernels, bound from vec4-aligned bases.
        same_bits_split("pixel_shuffle vec4 split", &[&[3, 12, 7, 8]], limit, |t| {
            pixel_shuffle::pixel_shuffle(&t[0], 2)
        });
        // One small-grid row reads r*r channels: 8 * 35 + 7 floats at r = 3.
        same_bits_split(
            "pixel_shuffle x3 split",
            &[&[2, 18, 5, 7]],
            limit.max(2048),
            |t| pixel_shuffle::pixel_shuffle(&t[0], 3),
        );
        same_bits_split("nearest2x split", &[&[3, 5, 7, 9]], limit, |t| {
            upsample::nearest2x(&t[0])
        });
        for f in [2, 3, 4] {
            // A backward row gathers 3f rows of the big gradient.
            same_bits_split("bilinear split", &[&[2, 5, 7, 9]], limit.max(2048), |t| {
                upsample::bilinear(&t[0], f)
            });
        }
        same_bits_split("reflect_pad split", &[&[3, 5, 7, 9]], limit, |t| {
            pad::reflect_pad(&t[0], 3, 5)
        });
        same_bits_split("crop split", &[&[3, 5, 9, 11]], limit, |t| {
            pad::crop(&t[0], 7, 6)
        });
        same_bits_split(
            "concat split",
            &[&[3, 5, 7, 9], &[3, 2, 7, 9], &[3, 7, 7, 9]],
            limit,
            |t| concat::concat(&[&t[0], &t[1], &t[2]]),
        );
        same_bits_split("split split", &[&[3, 11, 7, 9]], limit, |t| {
            // One part used: two would accumulate in autograd's accumulate_grad, which does
            // not split its launches (src/autograd, not this op's).
            let parts = concat::split(&t[0], &[4, 2, 5])?;
            Ok(parts[2].clone())
        });
    }
    // One channel (31 x 29 floats) larger than the binding: concat views rows of H*W as rows
    // of W.
    same_bits_split(
        "concat fold",
        &[&[2, 3, 31, 29], &[2, 1, 31, 29]],
        1024,
        |t| concat::concat(&[&t[0], &t[1]]),
    );
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
