//! PSNR / SSIM: infinite for identical images, hand-computed values, crop_border, errors.
//! (Agreement with BasicSR on real images is in data_fixtures.rs.)

use sralign::data::{metrics, Image};

const TOL: f64 = 1e-9;

fn flat(h: usize, w: usize, v: u8) -> Image {
    Image::from_u8(h, w, 3, &vec![v; h * w * 3])
}

#[test]
fn identical_images_have_infinite_psnr_and_unit_ssim() {
    let a = Image::from_u8(
        20,
        20,
        3,
        &(0..1200).map(|i| (i * 7 % 256) as u8).collect::<Vec<_>>(),
    );
    assert_eq!(metrics::psnr(&a, &a, 0).unwrap(), f64::INFINITY);
    assert_eq!(metrics::psnr_y(&a, &a, 4).unwrap(), f64::INFINITY);
    assert!((metrics::ssim(&a, &a, 0).unwrap() - 1.0).abs() < TOL);
    assert!((metrics::ssim_y(&a, &a, 2).unwrap() - 1.0).abs() < TOL);
}

#[test]
fn psnr_of_a_known_pair() {
    // every pixel off by 10 levels: MSE 100, PSNR = 10 log10(255^2 / 100)
    let (a, b) = (flat(16, 16, 100), flat(16, 16, 110));
    let want = 10.0 * (255.0f64 * 255.0 / 100.0).log10();
    assert!((metrics::psnr(&a, &b, 0).unwrap() - want).abs() < TOL);
    // Y differs by 10 * (65.481 + 128.553 + 24.966) / 255 = 10 * 219 / 255
    let dy = 10.0 * 219.0 / 255.0;
    let want_y = 10.0 * (255.0f64 * 255.0 / (dy * dy)).log10();
    assert!((metrics::psnr_y(&a, &b, 0).unwrap() - want_y).abs() < TOL);
    // one pixel of four differing by 255 in one channel of three: MSE 255^2 / 12
    let mut c = flat(2, 2, 0);
    c.data[0] = 1.0;
    let want = 10.0 * 12.0f64.log10();
    assert!((metrics::psnr(&flat(2, 2, 0), &c, 0).unwrap() - want).abs() < TOL);
}

#[test]
fn crop_border_ignores_the_border() {
    let a = flat(30, 30, 50);
    let mut b = a.clone();
    for x in 0..30 {
        b.data[x * 3] = 1.0; // first row changed
    }
    assert!(metrics::psnr(&a, &b, 0).unwrap().is_finite());
    assert_eq!(metrics::psnr(&a, &b, 1).unwrap(), f64::INFINITY);
    assert!(metrics::ssim(&a, &b, 0).unwrap() < 1.0);
    assert!((metrics::ssim(&a, &b, 1).unwrap() - 1.0).abs() < TOL);
}

#[test]
fn ssim_of_constant_images_follows_the_formula() {
    // constant images: sigma terms vanish, SSIM = (2 m1 m2 + C1) / (m1^2 + m2^2 + C1)
    let (m1, m2) = (100.0f64, 120.0f64);
    let c1 = (0.01f64 * 255.0).powi(2);
    let want = (2.0 * m1 * m2 + c1) / (m1 * m1 + m2 * m2 + c1);
    let got = metrics::ssim(&flat(15, 15, 100), &flat(15, 15, 120), 0).unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

#[test]
fn inputs_are_rounded_to_8bit() {
    let a = flat(12, 12, 80);
    let mut b = a.clone();
    b.data.iter_mut().for_each(|v| *v += 0.4 / 255.0);
    assert_eq!(metrics::psnr(&a, &b, 0).unwrap(), f64::INFINITY);
}

#[test]
fn bad_shapes_are_errors() {
    let e = metrics::psnr(&flat(10, 10, 0), &flat(10, 11, 0), 0).unwrap_err();
    // Width x height, as every other message.
    assert!(format!("{e}").contains("10x10x3 vs 11x10x3"), "{e}");
    assert!(metrics::psnr(&flat(8, 8, 0), &flat(8, 8, 0), 4).is_err());
    // A crop border whose double overflows is an error, not a wrapped-around index.
    let e = metrics::psnr(&flat(8, 8, 0), &flat(8, 8, 0), 1 << 63).unwrap_err();
    assert!(format!("{e}").contains("too small for crop_border"), "{e}");
    assert!(
        metrics::ssim(&flat(10, 10, 0), &flat(10, 10, 0), 0).is_err(),
        "smaller than the 11x11 window"
    );
}
