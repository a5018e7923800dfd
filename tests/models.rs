//! The four backbones: exact parameter counts at the standard x4 configurations, and on tiny
//! configurations: output shapes, a gradient for every parameter, end-to-end finite
//! differences, bit-exact save/load, tiled vs whole-image inference, and bad input.
mod common;
use common::gpu;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::eval::tile::{self, Chw};
use sralign::models::{self, swinir, Arch, ModelConfig, SrModel};
use sralign::nn::weights::{self, WeightsKey};
use sralign::{autograd, ops, Tensor};

const ARCHS: [Arch; 4] = [Arch::SrResNet, Arch::RrdbNet, Arch::Msrn, Arch::SwinIr];

fn image(seed: u64, shape: &[usize]) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..shape.iter().product::<usize>())
        .map(|_| rng.random_range(0.0f32..1.0))
        .collect()
}

#[test]
fn standard_configurations_have_the_reference_parameter_counts() {
    let gpu = gpu();
    let cases = [
        (ModelConfig::standard(Arch::SrResNet), 1_517_571usize),
        (ModelConfig::standard(Arch::RrdbNet), 16_697_987),
        (ModelConfig::standard(Arch::Msrn), 6_078_019),
        (ModelConfig::standard(Arch::SwinIr), 11_900_199),
        (
            ModelConfig::SwinIr(swinir::Config::real_world_m()),
            11_715_559,
        ),
    ];
    for (cfg, want) in cases {
        let m = models::build(&gpu, &cfg, 0).unwrap();
        assert_eq!(m.params().count(), want, "{:?}", cfg.arch());
    }
}

#[test]
fn reference_parameter_names() {
    let gpu = gpu();
    let names = |a: Arch| -> Vec<String> {
        let m = models::build(&gpu, &ModelConfig::tiny(a), 0).unwrap();
        m.params().named().into_iter().map(|(n, _)| n).collect()
    };
    let s = names(Arch::SrResNet);
    for n in [
        "conv_first.weight",
        "body.0.conv1.weight",
        "body.1.conv2.bias",
        "upconv1.weight",
        "upconv2.weight",
        "conv_hr.weight",
        "conv_last.bias",
    ] {
        assert!(s.contains(&n.to_string()), "srresnet lacks {n}");
    }
    let r = names(Arch::RrdbNet);
    for n in [
        "body.0.rdb1.conv1.weight",
        "body.0.rdb3.conv5.bias",
        "conv_body.weight",
        "conv_up1.weight",
        "conv_up2.weight",
        "conv_hr.weight",
    ] {
        assert!(r.contains(&n.to_string()), "rrdbnet lacks {n}");
    }
    let m = names(Arch::Msrn);
    for n in [
        "head.0.weight",
        "body.1.conv_5_2.weight",
        "body.0.confusion.bias",
        "tail.0.weight",
        "tail.2.0.weight",
        "tail.2.2.weight",
        "tail.3.weight",
    ] {
        assert!(m.contains(&n.to_string()), "msrn lacks {n}");
    }
    let w = names(Arch::SwinIr);
    for n in [
        "conv_first.weight",
        "patch_embed.norm.weight",
        "layers.0.residual_group.blocks.0.attn.relative_position_bias_table",
        "layers.0.residual_group.blocks.1.attn.qkv.weight",
        "layers.0.residual_group.blocks.0.norm1.weight",
        "layers.0.residual_group.blocks.0.mlp.fc2.bias",
        "layers.0.conv.weight",
        "norm.weight",
        "conv_after_body.weight",
        "conv_before_upsample.0.weight",
        "upsample.0.weight",
        "conv_last.weight",
    ] {
        assert!(w.contains(&n.to_string()), "swinir lacks {n}");
    }
}

#[test]
fn tiny_models_give_the_right_shapes_and_a_gradient_to_every_parameter() {
    let gpu = gpu();
    for arch in ARCHS {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 1).unwrap();
        let (h, w) = (9, 7); // SwinIR pads to its window and crops back
        let x = Tensor::from_slice(&gpu, &[2, 3, h, w], &image(2, &[2, 3, h, w])).unwrap();
        let y = m.forward(&x).unwrap();
        assert_eq!(y.out.shape(), &[2, 3, h * 4, w * 4], "{arch:?}");
        assert_eq!(y.feature.shape()[0], 2, "{arch:?}");
        let target = Tensor::from_slice(&gpu, y.out.shape(), &image(3, y.out.shape())).unwrap();
        let loss = ops::loss::l1(&y.out, &target).unwrap();
        let grads = autograd::backward(&loss).unwrap();
        for (name, p) in m.params().named() {
            let g = grads
                .get(&p)
                .unwrap_or_else(|| panic!("{arch:?}: no gradient for {name}"))
                .to_vec()
                .unwrap();
            assert!(
                g.iter().all(|v| v.is_finite()),
                "{arch:?}: non-finite gradient for {name}"
            );
            assert!(
                g.iter().any(|v| *v != 0.0),
                "{arch:?}: zero gradient for {name}"
            );
        }
    }
}

/// BasicSR's initialisation (kaiming x 0.1) leaves the HR features at O(1e-4), where LReLU
/// kinks lie closer together than any step f32 differences can resolve (the differences then
/// measure a smoothed slope, not the derivative), and where f32 and f64 disagree on the sign
/// of some pre-activations. Unit-variance weights keep the activations O(1): matrices
/// U(+-sqrt(3 / fan_in)), vectors (biases, norms) their value + U(+-0.1).
fn unit_variance_weights(m: &dyn SrModel) {
    let mut wrng = ChaCha8Rng::seed_from_u64(8);
    for (_, p) in m.params().named() {
        let mut v = p.to_vec().unwrap();
        if p.shape().len() >= 2 {
            let a = (3.0 / (v.len() / p.shape()[0]) as f32).sqrt();
            v.iter_mut().for_each(|x| *x = wrng.random_range(-a..a));
        } else {
            v.iter_mut()
                .for_each(|x| *x += wrng.random_range(-0.1..0.1));
        }
        p.write(&v).unwrap();
    }
}

/// Probes per model: at least one in every parameter tensor, at least this many in all.
const MODEL_PROBES: usize = 32;
/// Probes of the input image per model.
const INPUT_PROBES: usize = 6;

#[test]
fn tiny_models_pass_an_end_to_end_finite_difference_check() {
    // Summed loss L = sum(out * r), r fixed random in [-1, 1]: every output counts with weight
    // O(1) (a mean would shrink the gradients towards the f32 rounding of the forward). Each
    // probe compares one gradient element with central differences through the GPU forward;
    // its tolerance scales with the size of that tensor's gradient, plus the f32 rounding of
    // the outputs the perturbation changed.
    let gpu = gpu();
    for arch in ARCHS {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 4).unwrap();
        unit_variance_weights(m.as_ref());
        let shape = [1, 3, 8, 8];
        let xh = image(5, &shape);
        let x = Tensor::from_slice(&gpu, &shape, &xh).unwrap();
        x.set_requires_grad(true);
        let out_shape = [1, 3, 32, 32];
        let r: Vec<f32> = image(6, &out_shape).iter().map(|v| 2.0 * v - 1.0).collect();
        let r64: Vec<f64> = r.iter().map(|v| *v as f64).collect();
        let out = m.forward(&x).unwrap().out;
        let grads =
            autograd::backward_with(&out, &Tensor::from_slice(&gpu, &out_shape, &r).unwrap())
                .unwrap();
        let mut targets: Vec<(String, Tensor)> = m.params().named();
        targets.push(("input".into(), x.clone()));
        let gs: Vec<Vec<f32>> = targets
            .iter()
            .map(|(name, t)| {
                let g = grads.get(t);
                g.unwrap_or_else(|| panic!("{arch:?}: no gradient for {name}"))
                    .to_vec()
                    .unwrap()
            })
            .collect();
        let np = targets.len() - 1;
        let sizes: Vec<f64> = gs
            .iter()
            .map(|g| g.iter().fold(0f64, |a, v| a.max(v.abs() as f64)).max(1e-12))
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let _ng = autograd::no_grad();
        // Central differences over (v - h, v + h) of the summed loss. Rounding errors of
        // different outputs add in quadrature (8 ulps each: the noise measured across step
        // sizes reached ~4), counted over the outputs the perturbation changed only.
        let fd_at = |t: &Tensor, host: &mut Vec<f32>, j: usize, h: f32| -> (f64, f64) {
            let orig = host[j];
            let mut eval = |v: f32| -> Vec<f32> {
                host[j] = v;
                t.write(host).unwrap();
                // (The input probes write into x itself: `t` shares its buffer.)
                let o = m.forward(&x).unwrap().out.to_vec().unwrap();
                host[j] = orig;
                t.write(host).unwrap();
                o
            };
            let (op, om) = (eval(orig + h), eval(orig - h));
            let h2 = (orig + h) as f64 - (orig - h) as f64;
            let (mut diff, mut changed) = (0f64, 0f64);
            for ((p, q), d) in op.iter().zip(&om).zip(&r64) {
                if p.to_bits() != q.to_bits() {
                    diff += (*p as f64 - *q as f64) * d;
                    changed += ((p.abs() as f64 + q.abs() as f64) * d).powi(2);
                }
            }
            (diff / h2, 8.0 * f32::EPSILON as f64 * changed.sqrt() / h2)
        };
        // Probes go round every tensor (the input last) until MODEL_PROBES parameter probes and
        // INPUT_PROBES input probes were checked. An element is replaced when its difference
        // cannot be trusted: the step straddles a kink (LReLU/ReLU; the differences at h and
        // h/2 disagree), or the f32 rounding exceeds a quarter of the tensor's gradient size
        // (tensors whose gradients are that small cannot be resolved through an f32 forward
        // whose loss sums 3072 outputs; the op-level checks cover their kernels).
        let (mut checked_params, mut checked_input, mut attempts, mut replaced) = (0, 0, 0, 0);
        let mut checked_tensors = vec![0usize; np + 1];
        let mut bad = Vec::new();
        let mut k = 0;
        while (checked_params < MODEL_PROBES.max(np) || checked_input < INPUT_PROBES)
            && attempts < 20 * (MODEL_PROBES.max(np) + INPUT_PROBES)
        {
            k = (k + 1) % (np + 1);
            if (k == np && checked_input >= INPUT_PROBES)
                || (k < np && checked_params >= MODEL_PROBES.max(np))
            {
                continue;
            }
            attempts += 1;
            let (name, t) = &targets[k];
            let size = sizes[k];
            let mut host = if k == np {
                xh.clone()
            } else {
                t.to_vec().unwrap()
            };
            let j = rng.random_range(0..host.len());
            // A bias shifts a channel at all 1024 HR positions at once: steps of 1e-2 or 1e-3
            // straddle kinks at enough of them to move the difference by 10-80% (measured on
            // conv_hr / conv_up biases of RRDBNet); at 1e-4 it agrees with the backward.
            let h = 1e-4f32 * host[j].abs().max(1.0);
            let (fd, rounding) = fd_at(t, &mut host, j, h);
            let (fd2, rounding2) = fd_at(t, &mut host, j, h / 2.0);
            let kink = (fd - fd2).abs() > 1e-2 * size + rounding + rounding2;
            if rounding == 0.0 || rounding > 0.25 * size || kink {
                replaced += 1;
                continue;
            }
            checked_tensors[k] += 1;
            if k == np {
                checked_input += 1;
            } else {
                checked_params += 1;
            }
            let g = gs[k][j] as f64;
            let tol = 2e-2 * size + 5e-2 * fd.abs() + rounding;
            if (fd - g).abs() > tol || !g.is_finite() {
                bad.push(format!(
                    "{name}[{j}]: backward {g} vs finite difference {fd} (tolerance {tol:.3e}, \
                     gradient size {size:.3e})"
                ));
            }
        }
        let unresolved: Vec<&str> = (0..np)
            .filter(|i| checked_tensors[*i] == 0)
            .map(|i| targets[i].0.as_str())
            .collect();
        common::note(&format!(
            "{arch:?}: {checked_params} parameter probes in {} of {np} tensors, {checked_input} \
             input probes; {replaced} of {attempts} elements replaced (kink or below f32 \
             resolution); tensors below resolution: {unresolved:?}",
            np - unresolved.len()
        ));
        assert!(
            bad.is_empty(),
            "{arch:?}: {} probes off:\n{}",
            bad.len(),
            bad.join("\n")
        );
        assert!(
            checked_params >= MODEL_PROBES && checked_input >= INPUT_PROBES,
            "{arch:?}: only {checked_params} parameter and {checked_input} input probes could \
             be resolved in {attempts} attempts"
        );
    }
}

#[test]
fn save_load_round_trip_reproduces_outputs_bit_for_bit() {
    let gpu = gpu();
    let dir = std::env::temp_dir().join(format!("sralign-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for arch in ARCHS {
        let cfg = ModelConfig::tiny(arch);
        let a = models::build(&gpu, &cfg, 11).unwrap();
        let b = models::build(&gpu, &cfg, 12).unwrap();
        let path = dir.join(format!("{}.safetensors", arch.name()));
        weights::save(&path, &a.params(), None, a.arch()).unwrap();
        weights::load(&path, &b.params(), WeightsKey::Auto, b.arch()).unwrap();
        let _ng = autograd::no_grad();
        let x = Tensor::from_slice(&gpu, &[1, 3, 8, 8], &image(13, &[1, 3, 8, 8])).unwrap();
        let ya = a.forward(&x).unwrap().out.to_vec().unwrap();
        let yb = b.forward(&x).unwrap().out.to_vec().unwrap();
        assert!(
            ya.iter().zip(&yb).all(|(p, q)| p.to_bits() == q.to_bits()),
            "{arch:?}: outputs differ after reload"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn tiled_and_whole_image_inference_agree() {
    let gpu = gpu();
    for arch in ARCHS {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 21).unwrap();
        let win = m.window().max(1);
        let tile = 8usize.next_multiple_of(win);
        let overlap = m.receptive_radius();
        // The region a tile reads is its core plus the overlap (rounded up to the window) on
        // each side: the image is wide enough that the middle tiles read neither edge, so the
        // stitching of interior tiles is what is compared, not one tile covering everything.
        let ov = overlap.div_ceil(win) * win;
        let w = tile * ((2 * ov).div_ceil(tile) + 3);
        let h = 2 * tile + 4;
        assert!(w >= tile + 2 * ov + tile, "{arch:?}: {w} columns");
        let img = Chw {
            c: 3,
            h,
            w,
            data: image(22, &[3, h, w]),
        };
        let whole = tile::upscale(&gpu, m.as_ref(), &img, None, 0, &mut |_, _| {}).unwrap();
        let mut tiles = 0;
        let tiled = tile::upscale(&gpu, m.as_ref(), &img, Some(tile), overlap, &mut |_, n| {
            tiles = n
        })
        .unwrap();
        assert!(
            tiles >= 3 * 4,
            "{arch:?}: {tiles} tiles for {h}x{w} at {tile}"
        );
        let worst = whole
            .data
            .iter()
            .zip(&tiled.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= 1e-4,
            "{arch:?}: tiled ({tiles} tiles of {tile}, overlap {overlap}) differs from whole \
             {h}x{w} by {worst}"
        );
    }
}

#[test]
fn bad_inputs_give_clear_errors() {
    let gpu = gpu();
    let dir = std::env::temp_dir().join(format!("sralign-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Weights of another architecture.
    let srr = models::build(&gpu, &ModelConfig::tiny(Arch::SrResNet), 0).unwrap();
    let msrn = models::build(&gpu, &ModelConfig::tiny(Arch::Msrn), 0).unwrap();
    let p = dir.join("srresnet.safetensors");
    weights::save(&p, &srr.params(), None, srr.arch()).unwrap();
    let e = weights::load(&p, &msrn.params(), WeightsKey::Auto, msrn.arch())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not fit msrn")
            && e.contains("missing")
            && e.contains("head.0.weight")
            && e.contains("srresnet"),
        "{e}"
    );
    // Same arch, other width: shapes named.
    let wide = models::build(
        &gpu,
        &ModelConfig::SrResNet(models::srresnet::Config {
            num_feat: 8,
            num_block: 2,
            ..Default::default()
        }),
        0,
    )
    .unwrap();
    let e = weights::load(&p, &wide.params(), WeightsKey::Auto, wide.arch())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv_first.weight: expected [8, 3, 3, 3] found [16, 3, 3, 3]"),
        "{e}"
    );
    // Truncated file.
    let bytes = std::fs::read(&p).unwrap();
    let t = dir.join("truncated.safetensors");
    std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
    let e = weights::load(&t, &srr.params(), WeightsKey::Auto, srr.arch())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("truncated.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );
    // SwinIR: image smaller than one window, tile not a multiple of the window.
    let sw = models::build(&gpu, &ModelConfig::tiny(Arch::SwinIr), 0).unwrap();
    let small = Chw {
        c: 3,
        h: 3,
        w: 9,
        data: vec![0.5; 27],
    };
    let e = tile::upscale(&gpu, sw.as_ref(), &small, None, 0, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("smaller than one window"), "{e}");
    let img = Chw {
        c: 3,
        h: 16,
        w: 16,
        data: vec![0.5; 768],
    };
    let e = tile::upscale(&gpu, sw.as_ref(), &img, Some(6), 4, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tile size 6") && e.contains("multiple of the window 4"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bundled_configs_parse_and_build() {
    let gpu = gpu();
    for entry in std::fs::read_dir("tools/configs").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let ty = doc["network_g"]["type"].as_str().unwrap().to_string();
        let arch: Arch = ty.parse().unwrap();
        let cfg = models::load_config(arch, Some(&path))
            .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        let m = models::build(&gpu, &cfg, 0).unwrap();
        assert!(m.params().count() > 0);
    }
    // Unknown keys and a type that contradicts --arch are errors.
    let dir = std::env::temp_dir().join(format!("sralign-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[network_g]\nnum_feat = 8\nnum_blocks = 2\n").unwrap();
    let e = format!(
        "{:#}",
        models::load_config(Arch::SrResNet, Some(&bad)).unwrap_err()
    );
    assert!(e.contains("num_blocks"), "{e}");
    std::fs::write(&bad, "[network_g]\ntype = \"msrn\"\n").unwrap();
    let e = format!(
        "{:#}",
        models::load_config(Arch::SrResNet, Some(&bad)).unwrap_err()
    );
    assert!(e.contains("does not match --arch srresnet"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn training_steps_allocate_nothing_after_step_two() {
    let gpu = gpu();
    for arch in ARCHS {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 31).unwrap();
        let params = m.params().tensors();
        let mut adam = ops::optim::Adam::new(2e-4, 0.9, 0.99);
        let x = Tensor::from_slice(&gpu, &[2, 3, 8, 8], &image(32, &[2, 3, 8, 8])).unwrap();
        let y = Tensor::from_slice(&gpu, &[2, 3, 32, 32], &image(33, &[2, 3, 32, 32])).unwrap();
        let mut at2 = None;
        for step in 1..=6 {
            let l = ops::loss::l1(&m.forward(&x).unwrap().out, &y).unwrap();
            let g = autograd::backward(&l).unwrap();
            adam.step(&params, &g).unwrap();
            drop(g);
            gpu.sync().unwrap();
            if step == 2 {
                at2 = Some((gpu.pool_stats(), gpu.textures_created()));
            }
        }
        let (p2, t2) = at2.unwrap();
        let (p, t) = (gpu.pool_stats(), gpu.textures_created());
        assert_eq!(
            (p2.created, p2.bytes, t2),
            (p.created, p.bytes, t),
            "{arch:?}: allocations after step 2"
        );
    }
}

#[test]
fn x2_and_x3_configurations_give_the_right_shapes() {
    use models::{msrn, rrdbnet, srresnet};
    let gpu = gpu();
    let cfgs = vec![
        ModelConfig::SrResNet(srresnet::Config {
            num_feat: 8,
            num_block: 1,
            upscale: 2,
            ..Default::default()
        }),
        ModelConfig::SrResNet(srresnet::Config {
            num_feat: 8,
            num_block: 1,
            upscale: 3,
            ..Default::default()
        }),
        ModelConfig::RrdbNet(rrdbnet::Config {
            num_feat: 8,
            num_block: 1,
            num_grow_ch: 4,
            upscale: 2,
            ..Default::default()
        }),
        ModelConfig::RrdbNet(rrdbnet::Config {
            num_feat: 8,
            num_block: 1,
            num_grow_ch: 4,
            upscale: 1,
            ..Default::default()
        }),
        ModelConfig::Msrn(msrn::Config {
            num_feat: 8,
            num_block: 1,
            upscale: 2,
            ..Default::default()
        }),
        ModelConfig::Msrn(msrn::Config {
            num_feat: 8,
            num_block: 1,
            upscale: 3,
            ..Default::default()
        }),
        ModelConfig::SwinIr(swinir::Config {
            upscale: 2,
            upsampler: swinir::Upsampler::NearestConv,
            ..tiny_swinir()
        }),
        ModelConfig::SwinIr(swinir::Config {
            upscale: 3,
            ..tiny_swinir()
        }),
        ModelConfig::SwinIr(swinir::Config {
            upscale: 3,
            upsampler: swinir::Upsampler::PixelShuffleDirect,
            ..tiny_swinir()
        }),
    ];
    for cfg in cfgs {
        let m = models::build(&gpu, &cfg, 0).unwrap();
        let s = m.scale();
        let x = Tensor::from_slice(&gpu, &[1, 3, 8, 12], &image(40, &[1, 3, 8, 12])).unwrap();
        let y = m.forward(&x).unwrap();
        assert_eq!(y.out.shape(), &[1, 3, 8 * s, 12 * s], "{cfg:?}");
        autograd::clear_tape();
    }
    // BasicSR's RRDBNet x2 takes the pixel-unshuffled input: conv_first has 12 input channels.
    let m = models::build(
        &gpu,
        &ModelConfig::RrdbNet(rrdbnet::Config {
            upscale: 2,
            num_block: 1,
            ..Default::default()
        }),
        0,
    )
    .unwrap();
    assert_eq!(
        m.params().get("conv_first.weight").unwrap().shape(),
        &[64, 12, 3, 3]
    );
    // RRDBNet x3 has no reference form.
    let e = models::build(
        &gpu,
        &ModelConfig::RrdbNet(rrdbnet::Config {
            upscale: 3,
            ..Default::default()
        }),
        0,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("upscale 3"), "{e}");
}

fn tiny_swinir() -> swinir::Config {
    match ModelConfig::tiny(Arch::SwinIr) {
        ModelConfig::SwinIr(c) => c,
        _ => unreachable!(),
    }
}

/// Parameters of a model in f64 by name, with their shapes.
type Params64 = std::collections::HashMap<String, (Vec<f64>, Vec<usize>)>;

fn lrelu64(v: &[f64], s: f64) -> Vec<f64> {
    v.iter()
        .map(|x| if *x > 0.0 { *x } else { s * x })
        .collect()
}

/// conv2d (k3, bias) of the named layer on x [1, c, h, w], by the op's f64 reference.
fn conv64(p: &Params64, name: &str, x: &[f64], [c, h, w]: [usize; 3]) -> Vec<f64> {
    let (wt, ws) = &p[&format!("{name}.weight")];
    let (b, _) = &p[&format!("{name}.bias")];
    ops::conv2d::reference::forward(x, [1, c, h, w], wt, [ws[0], ws[1], ws[2], ws[3]], Some(b))
}

/// The tiny SRResNet (x4) forward in f64, composed of the ops' references.
fn srresnet64(p: &Params64, x: &[f64], [h, w]: [usize; 2]) -> Vec<f64> {
    let f = p["conv_first.weight"].1[0];
    let nb = (0..)
        .take_while(|i| p.contains_key(&format!("body.{i}.conv1.weight")))
        .count();
    let feat = lrelu64(&conv64(p, "conv_first", x, [3, h, w]), 0.1);
    let mut out = feat;
    for i in 0..nb {
        let a = ops::activation::reference::relu(&conv64(
            p,
            &format!("body.{i}.conv1"),
            &out,
            [f, h, w],
        ));
        let r = conv64(p, &format!("body.{i}.conv2"), &a, [f, h, w]);
        out = out.iter().zip(&r).map(|(a, b)| a + b).collect();
    }
    let (mut hh, mut ww) = (h, w);
    for up in ["upconv1", "upconv2"] {
        let y = conv64(p, up, &out, [f, hh, ww]);
        out = lrelu64(
            &ops::pixel_shuffle::reference::pixel_shuffle(&y, [1, 4 * f, hh, ww], 2),
            0.1,
        );
        (hh, ww) = (2 * hh, 2 * ww);
    }
    let fe = lrelu64(&conv64(p, "conv_hr", &out, [f, hh, ww]), 0.1);
    let y = conv64(p, "conv_last", &fe, [f, hh, ww]);
    let base = ops::upsample::reference::bilinear(x, [1, 3, h, w], 4);
    y.iter().zip(&base).map(|(a, b)| a + b).collect()
}

/// The tiny RRDBNet (x4, one RRDB) forward in f64, composed of the ops' references.
fn rrdbnet64(p: &Params64, x: &[f64], [h, w]: [usize; 2]) -> Vec<f64> {
    let f = p["conv_first.weight"].1[0];
    let g = p["body.0.rdb1.conv1.weight"].1[0];
    let nb = (0..)
        .take_while(|i| p.contains_key(&format!("body.{i}.rdb1.conv1.weight")))
        .count();
    let feat = conv64(p, "conv_first", x, [3, h, w]);
    let mut trunk = feat.clone();
    for b in 0..nb {
        let mut y = trunk.clone();
        for r in 1..=3 {
            let inp = y.clone();
            let mut dense = inp.clone();
            for i in 1..=5 {
                let o = conv64(
                    p,
                    &format!("body.{b}.rdb{r}.conv{i}"),
                    &dense,
                    [f + (i - 1) * g, h, w],
                );
                if i == 5 {
                    y = o.iter().zip(&inp).map(|(a, b)| 0.2 * a + b).collect();
                } else {
                    // Channels concatenate by appending: N = 1, NCHW.
                    dense.extend(lrelu64(&o, 0.2));
                }
            }
        }
        trunk = y.iter().zip(&trunk).map(|(a, b)| 0.2 * a + b).collect();
    }
    let body = conv64(p, "conv_body", &trunk, [f, h, w]);
    let mut out: Vec<f64> = feat.iter().zip(&body).map(|(a, b)| a + b).collect();
    let (mut hh, mut ww) = (h, w);
    for up in ["conv_up1", "conv_up2"] {
        let u = ops::upsample::reference::nearest2x(&out, [1, f, hh, ww]);
        (hh, ww) = (2 * hh, 2 * ww);
        out = lrelu64(&conv64(p, up, &u, [f, hh, ww]), 0.2);
    }
    let fe = lrelu64(&conv64(p, "conv_hr", &out, [f, hh, ww]), 0.2);
    conv64(p, "conv_last", &fe, [f, hh, ww])
}

#[test]
fn tiny_srresnet_and_rrdbnet_gradients_match_an_f64_reference_of_the_model() {
    // The f32 finite-difference check above cannot resolve RRDBNet's body (its gradients are
    // ~1e-2 of the loss's rounding); an f64 forward of the whole model, composed of the ops'
    // references, can: every parameter tensor (4 elements each) and the input are checked
    // against its central differences, with tolerances scaled to each tensor's gradient.
    let gpu = gpu();
    type Forward64 = fn(&Params64, &[f64], [usize; 2]) -> Vec<f64>;
    let models64: [(Arch, Forward64); 2] =
        [(Arch::SrResNet, srresnet64), (Arch::RrdbNet, rrdbnet64)];
    for (arch, forward64) in models64 {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 4).unwrap();
        unit_variance_weights(m.as_ref());
        let shape = [1, 3, 8, 8];
        let xh = image(5, &shape);
        let x = Tensor::from_slice(&gpu, &shape, &xh).unwrap();
        x.set_requires_grad(true);
        let out_shape = [1, 3, 32, 32];
        let r: Vec<f64> = image(6, &out_shape)
            .iter()
            .map(|v| 2.0 * *v as f64 - 1.0)
            .collect();
        let r32: Vec<f32> = r.iter().map(|v| *v as f32).collect();
        let out = m.forward(&x).unwrap().out;
        let got = out.to_vec().unwrap();
        let grads =
            autograd::backward_with(&out, &Tensor::from_slice(&gpu, &out_shape, &r32).unwrap())
                .unwrap();
        let mut p64 = Params64::new();
        for (name, t) in m.params().named() {
            let v = t.to_vec().unwrap().iter().map(|v| *v as f64).collect();
            p64.insert(name, (v, t.shape().to_vec()));
        }
        let x64: Vec<f64> = xh.iter().map(|v| *v as f64).collect();
        let want = forward64(&p64, &x64, [8, 8]);
        let worst = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - *b as f64).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-4,
            "{arch:?}: f64 forward differs from the GPU's by {worst}"
        );
        let loss = |p: &Params64, x: &[f64]| -> f64 {
            forward64(p, x, [8, 8])
                .iter()
                .zip(&r)
                .map(|(a, b)| a * b)
                .sum()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut bad = Vec::new();
        let mut probes = 0;
        let mut targets = m.params().named();
        targets.push(("input".into(), x.clone()));
        for (name, t) in &targets {
            let g = grads.get(t).unwrap().to_vec().unwrap();
            let size = g.iter().fold(0f64, |a, v| a.max(v.abs() as f64)).max(1e-12);
            let n = if name == "input" { 8 } else { 4 };
            for _ in 0..n {
                let j = rng.random_range(0..g.len());
                let h = 1e-6;
                let num = if name == "input" {
                    let mut xp = x64.clone();
                    xp[j] += h;
                    let lp = loss(&p64, &xp);
                    xp[j] -= 2.0 * h;
                    (lp - loss(&p64, &xp)) / (2.0 * h)
                } else {
                    let mut pp = p64.clone();
                    pp.get_mut(name).unwrap().0[j] += h;
                    let lp = loss(&pp, &x64);
                    pp.get_mut(name).unwrap().0[j] -= 2.0 * h;
                    (lp - loss(&pp, &x64)) / (2.0 * h)
                };
                probes += 1;
                let tol = 1e-3 * size + 1e-3 * num.abs();
                if (g[j] as f64 - num).abs() > tol || !g[j].is_finite() {
                    bad.push(format!(
                        "{name}[{j}]: backward {} vs f64 reference {num} (tolerance {tol:.3e})",
                        g[j]
                    ));
                }
            }
        }
        common::note(&format!(
            "{arch:?}: {probes} probes in all {} tensors and the input against the f64 model",
            targets.len() - 1
        ));
        assert!(
            bad.is_empty(),
            "{arch:?}: {} of {probes} probes off:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}
