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

#[test]
fn tiny_models_pass_an_end_to_end_finite_difference_check() {
    let gpu = gpu();
    for arch in ARCHS {
        let m = models::build(&gpu, &ModelConfig::tiny(arch), 4).unwrap();
        let shape = [1, 3, 8, 8];
        let x = Tensor::from_slice(&gpu, &shape, &image(5, &shape)).unwrap();
        let target_shape = [1, 3, 32, 32];
        let target = Tensor::from_slice(&gpu, &target_shape, &image(6, &target_shape)).unwrap();
        // MSE: smooth in the output (L1 has kinks the finite differences would straddle).
        let loss_of =
            |m: &dyn SrModel| ops::loss::mse(&m.forward(&x).unwrap().out, &target).unwrap();
        let grads = autograd::backward(&loss_of(m.as_ref())).unwrap();
        let params = m.params().named();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let _ng = autograd::no_grad();
        for k in 0..6 {
            let (name, p) = &params[(k * 7 + 3) % params.len()];
            let mut host = p.to_vec().unwrap();
            let j = rng.random_range(0..host.len());
            let g = grads.get(p).unwrap().to_vec().unwrap()[j] as f64;
            let orig = host[j];
            let h = 1e-2f32.max(orig.abs() * 1e-2);
            host[j] = orig + h;
            p.write(&host).unwrap();
            let lp = loss_of(m.as_ref()).to_vec().unwrap()[0] as f64;
            host[j] = orig - h;
            p.write(&host).unwrap();
            let lm = loss_of(m.as_ref()).to_vec().unwrap()[0] as f64;
            host[j] = orig;
            p.write(&host).unwrap();
            let fd = (lp - lm) / (2.0 * h as f64);
            // f32 forward: the loss is ~0.1 with ~1e-7 relative rounding, over a 2e-2 step.
            let tol = 2e-4 + 5e-2 * g.abs().max(fd.abs());
            assert!(
                (fd - g).abs() <= tol,
                "{arch:?} {name}[{j}]: backward {g} vs finite difference {fd}"
            );
        }
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
        let (h, w) = (20, 24);
        let img = Chw {
            c: 3,
            h,
            w,
            data: image(22, &[3, h, w]),
        };
        let whole = tile::upscale(&gpu, m.as_ref(), &img, None, 0, &mut |_, _| {}).unwrap();
        let overlap = m.receptive_radius();
        let tiled =
            tile::upscale(&gpu, m.as_ref(), &img, Some(8), overlap, &mut |_, _| {}).unwrap();
        let worst = whole
            .data
            .iter()
            .zip(&tiled.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= 1e-4,
            "{arch:?}: tiled differs from whole by {worst}"
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
