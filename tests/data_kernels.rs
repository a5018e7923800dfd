//! Blur kernels: normalisation, symmetry, sizes, padding, and the Real-ESRGAN sampling
//! statistics (probabilities and ranges of DESIGN.md section 5).

use sralign::data::kernels::{
    bessel_j1, sample_final_sinc, sample_kernel, sinc, Kernel, KernelSpec, KernelStage, PAD_SIZE,
};
use sralign::data::rng;
use std::f64::consts::PI;

/// Sums and symmetries are exact up to f64 rounding of a few hundred terms.
const EXACT: f64 = 1e-12;
/// Sampled frequencies over N draws: 4 standard errors of a proportion at N = 4000 is < 0.032.
const N: usize = 4000;
const FREQ_TOL: f64 = 0.032;

fn specs() -> Vec<KernelSpec> {
    let mut v = Vec::new();
    for size in (7..=21).step_by(2) {
        v.push(KernelSpec::Gaussian {
            size,
            sigma_x: 1.3,
            sigma_y: 1.3,
            theta: 0.0,
        });
        v.push(KernelSpec::Gaussian {
            size,
            sigma_x: 2.5,
            sigma_y: 0.6,
            theta: 0.7,
        });
        v.push(KernelSpec::Generalized {
            size,
            sigma_x: 2.0,
            sigma_y: 1.0,
            theta: -1.2,
            beta: 0.6,
        });
        v.push(KernelSpec::Generalized {
            size,
            sigma_x: 1.5,
            sigma_y: 1.5,
            theta: 0.0,
            beta: 3.0,
        });
        v.push(KernelSpec::Plateau {
            size,
            sigma_x: 1.8,
            sigma_y: 0.9,
            theta: 2.0,
            beta: 1.5,
        });
        v.push(KernelSpec::Sinc { size, cutoff: 1.3 });
    }
    v
}

#[test]
fn kernels_sum_to_one_with_point_symmetry_and_size() {
    for s in specs() {
        let k = s.build();
        let n = k.size;
        assert_eq!(k.data.len(), n * n, "{s:?}");
        assert!(n % 2 == 1 && (7..=21).contains(&n), "{s:?}");
        assert!((k.sum() - 1.0).abs() < EXACT, "{s:?}: sum {}", k.sum());
        for y in 0..n {
            for x in 0..n {
                // every family here is symmetric under a 180-degree rotation
                assert!(
                    (k.at(y, x) - k.at(n - 1 - y, n - 1 - x)).abs() < EXACT,
                    "{s:?}"
                );
            }
        }
        let p = k.pad_to(PAD_SIZE);
        assert_eq!(p.size, PAD_SIZE);
        assert!((p.sum() - 1.0).abs() < EXACT);
        assert_eq!(p.at(10, 10), k.at(n / 2, n / 2));
    }
}

#[test]
fn isotropic_and_sinc_kernels_have_full_square_symmetry() {
    for s in [
        KernelSpec::Gaussian {
            size: 15,
            sigma_x: 2.0,
            sigma_y: 2.0,
            theta: 0.0,
        },
        KernelSpec::Sinc {
            size: 13,
            cutoff: 1.1,
        },
    ] {
        let k = s.build();
        let n = k.size;
        for y in 0..n {
            for x in 0..n {
                assert!((k.at(y, x) - k.at(x, y)).abs() < EXACT);
                assert!((k.at(y, x) - k.at(y, n - 1 - x)).abs() < EXACT);
            }
        }
        // the centre is the maximum
        let c = k.at(n / 2, n / 2);
        assert!(k.data.iter().all(|&v| v <= c));
    }
}

#[test]
fn anisotropic_kernel_rotates_with_theta() {
    // theta = pi/2 swaps the axes of a theta = 0 kernel
    let a = KernelSpec::Gaussian {
        size: 11,
        sigma_x: 3.0,
        sigma_y: 0.8,
        theta: 0.0,
    }
    .build();
    let b = KernelSpec::Gaussian {
        size: 11,
        sigma_x: 3.0,
        sigma_y: 0.8,
        theta: PI / 2.0,
    }
    .build();
    for y in 0..11 {
        for x in 0..11 {
            assert!((a.at(y, x) - b.at(x, y)).abs() < 1e-12);
        }
    }
    // wide along x for theta = 0
    assert!(a.at(5, 8) > a.at(8, 5));
}

#[test]
fn bessel_j1_known_values() {
    // Abramowitz & Stegun table 9.1
    for (x, want) in [
        (1.0, 0.440_050_585_744_933_5),
        (2.0, 0.576_724_807_756_873_4),
        (10.0, 0.043_472_746_168_861_44),
    ] {
        assert!((bessel_j1(x) - want).abs() < 1e-14, "J1({x})");
    }
    assert_eq!(sinc(7, PI).size, 7);
}

#[test]
fn pulse_is_identity() {
    let k = Kernel::pulse(21);
    assert_eq!(k.sum(), 1.0);
    assert_eq!(k.at(10, 10), 1.0);
}

fn freq(n: usize) -> f64 {
    n as f64 / N as f64
}

#[test]
fn stage_sampling_matches_realesrgan_probabilities_and_ranges() {
    for (stage, smax) in [(KernelStage::stage1(), 3.0), (KernelStage::stage2(), 1.5)] {
        let mut r = rng(11);
        let mut counts = [0usize; 7]; // six families + sinc
        let mut sizes = [0usize; 22];
        for _ in 0..N {
            let s = sample_kernel(&stage, &mut r);
            match s {
                KernelSpec::Gaussian {
                    size,
                    sigma_x,
                    sigma_y,
                    theta,
                } => {
                    sizes[size] += 1;
                    assert!((0.2..smax).contains(&sigma_x) && (0.2..smax).contains(&sigma_y));
                    assert!((-PI..PI).contains(&theta));
                    counts[if sigma_x == sigma_y && theta == 0.0 {
                        0
                    } else {
                        1
                    }] += 1;
                }
                KernelSpec::Generalized {
                    size,
                    sigma_x,
                    sigma_y,
                    theta,
                    beta,
                } => {
                    sizes[size] += 1;
                    assert!((0.5..4.0).contains(&beta));
                    counts[if sigma_x == sigma_y && theta == 0.0 {
                        2
                    } else {
                        3
                    }] += 1;
                }
                KernelSpec::Plateau {
                    size,
                    sigma_x,
                    sigma_y,
                    theta,
                    beta,
                } => {
                    sizes[size] += 1;
                    assert!((1.0..2.0).contains(&beta));
                    counts[if sigma_x == sigma_y && theta == 0.0 {
                        4
                    } else {
                        5
                    }] += 1;
                }
                KernelSpec::Sinc { size, cutoff } => {
                    sizes[size] += 1;
                    let lo = if size < 13 { PI / 3.0 } else { PI / 5.0 };
                    assert!(cutoff >= lo && cutoff < PI);
                    counts[6] += 1;
                }
                KernelSpec::Pulse { .. } => panic!("no pulse in a stage"),
            }
        }
        let want = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03].map(|p| p * 0.9);
        for i in 0..6 {
            assert!(
                (freq(counts[i]) - want[i]).abs() < FREQ_TOL,
                "family {i}: {}",
                freq(counts[i])
            );
        }
        assert!((freq(counts[6]) - 0.1).abs() < FREQ_TOL);
        for (s, &count) in sizes.iter().enumerate().take(22) {
            if s % 2 == 1 && s >= 7 {
                assert!((freq(count) - 1.0 / 8.0).abs() < FREQ_TOL, "size {s}");
            } else {
                assert_eq!(count, 0);
            }
        }
    }
}

#[test]
fn generalized_beta_is_half_below_one() {
    let mut r = rng(5);
    let (mut below, mut total) = (0, 0);
    for _ in 0..N {
        if let KernelSpec::Generalized { beta, .. } = sample_kernel(&KernelStage::stage1(), &mut r)
        {
            total += 1;
            below += (beta < 1.0) as usize;
        }
    }
    let f = below as f64 / total as f64;
    assert!((f - 0.5).abs() < 0.12, "{f} of {total}");
}

#[test]
fn final_sinc_with_probability_08() {
    let mut r = rng(3);
    let n = (0..N).filter(|_| matches!(sample_final_sinc(0.8, &mut r), KernelSpec::Sinc { cutoff, .. } if cutoff >= PI / 3.0)).count();
    assert!((freq(n) - 0.8).abs() < FREQ_TOL);
}
