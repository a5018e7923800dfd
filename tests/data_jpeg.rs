//! The hand-written JPEG codec against Pillow 13 (libjpeg-turbo) on the fixture patches
//! (../shared/fixtures/jpeg, see its README): encoded bytes and decoded pixels, q10/q50/q90.

use sralign::data::jpeg::{decode, encode, jpeg, quant_table};
use sralign::data::npy::read_npy;
use sralign::data::Image;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from("../shared/fixtures")
}

fn fixtures() -> serde_json::Value {
    let s = std::fs::read_to_string(dir().join("fixtures.json")).expect("fixtures.json");
    serde_json::from_str(&s).unwrap()
}

fn npy_u8(file: &str) -> (Vec<usize>, Vec<u8>) {
    let a = read_npy(dir().join(file)).unwrap();
    (a.shape, a.data.iter().map(|&v| v as u8).collect())
}

/// The 96x96 RGB patch of a fixture image.
fn patch(image: &str) -> (usize, usize, Vec<u8>) {
    let (s, v) = npy_u8(&image.replace(".png", "_patch.npy"));
    (s[0], s[1], v)
}

/// Each fixture case with (quality, expected .jpg bytes, expected decoded pixels).
fn jpeg_cases() -> Vec<(String, u8, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for case in fixtures()["jpeg"]["cases"].as_array().unwrap() {
        let image = case["image"].as_str().unwrap().to_string();
        for (q, e) in case["jpeg"].as_object().unwrap() {
            let jpg = std::fs::read(dir().join(e["jpg"].as_str().unwrap())).unwrap();
            let (_, dec) = npy_u8(e["decoded_uint8"].as_str().unwrap());
            out.push((image.clone(), q.parse().unwrap(), jpg, dec));
        }
    }
    assert_eq!(out.len(), 9, "3 images x 3 qualities expected");
    out
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or(if a.len() == b.len() {
            None
        } else {
            Some(a.len().min(b.len()))
        })
}

#[test]
fn quant_tables_follow_jcparam() {
    // Quality 50 is the standard table itself; 100 is all ones; 1 clamps to 255.
    assert_eq!(quant_table(50, false)[..3], [16, 11, 10]);
    assert!(quant_table(100, true).iter().all(|&q| q == 1));
    assert!(quant_table(1, false).iter().all(|&q| q == 255));
    // q10: scale 500 -> 16 * 5 = 80; q90: scale 20 -> (16 * 20 + 50) / 100 = 3.
    assert_eq!(quant_table(10, false)[0], 80);
    assert_eq!(quant_table(90, false)[0], 3);
    assert_eq!(quant_table(90, true)[0], 3);
}

#[test]
fn encoder_matches_pillow_bytes() {
    for (image, q, want, _) in jpeg_cases() {
        let (h, w, px) = patch(&image);
        let got = encode(&px, h, w, 3, q).unwrap();
        assert_eq!(
            first_difference(&got, &want),
            None,
            "{image} q{q}: {} bytes vs Pillow's {}",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn decoder_matches_pillow_pixels() {
    for (image, q, jpg, want) in jpeg_cases() {
        let d = decode(&jpg).unwrap();
        assert_eq!((d.h, d.w, d.c), (96, 96, 3));
        let bad = d.data.iter().zip(&want).filter(|(a, b)| a != b).count();
        let max = d
            .data
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as i32 - *b as i32).abs())
            .max()
            .unwrap();
        assert_eq!(bad, 0, "{image} q{q}: {bad} values differ, max {max}");
    }
}

#[test]
fn round_trip_is_pillows_save_then_open() {
    for (image, q, _, want) in jpeg_cases() {
        let (h, w, px) = patch(&image);
        let got = jpeg(&Image::from_u8(h, w, 3, &px), q).unwrap().to_u8();
        assert!(
            got == want,
            "{image} q{q}: round trip differs from Pillow's"
        );
    }
}

/// Sizes that are not multiples of the MCU (edge replication, odd chroma sizes, dummy blocks
/// at the right and bottom, which change the bytes but not the pixels) and gray images,
/// against Pillow 13.0.0 (tools/make_jpeg_fixtures.py, tests/fixtures/jpeg).
#[test]
fn odd_sizes_and_gray_match_pillow() {
    let local = PathBuf::from("tests/fixtures/jpeg");
    let mut checked = 0;
    for &(h, w, c) in &[
        (1, 1, 3),
        (7, 13, 3),
        (17, 9, 3),
        (24, 24, 3),
        (33, 50, 3),
        (5, 11, 1),
        (40, 23, 1),
    ] {
        let name = format!("{h}x{w}x{c}");
        let input = read_npy(local.join(format!("{name}.npy"))).unwrap();
        assert_eq!(input.data.len(), h * w * c, "{name}");
        let px: Vec<u8> = input.data.iter().map(|&v| v as u8).collect();
        for q in [10u8, 50, 90] {
            let want = std::fs::read(local.join(format!("{name}_q{q}.jpg"))).unwrap();
            let got = encode(&px, h, w, c, q).unwrap();
            assert_eq!(
                first_difference(&got, &want),
                None,
                "{name} q{q}: {} bytes vs Pillow's {}",
                got.len(),
                want.len()
            );
            let dec = read_npy(local.join(format!("{name}_q{q}_decoded.npy"))).unwrap();
            let d = decode(&want).unwrap();
            assert_eq!((d.h, d.w, d.c), (h, w, c));
            let bad = d
                .data
                .iter()
                .zip(&dec.data)
                .filter(|(a, b)| **a as f64 != **b)
                .count();
            assert_eq!(bad, 0, "{name} q{q}: {bad} decoded values differ");
            checked += 1;
        }
    }
    assert_eq!(checked, 21);
}

/// Sizes that are not multiples of the MCU (dummy blocks, edge replication, odd chroma) and
/// gray images: our files decode with the `image` crate's independent decoder to nearly the
/// same pixels, and our decoder reads them back close to the input.
#[test]
fn odd_sizes_and_gray_are_valid_jpeg() {
    for &(h, w, c) in &[
        (1, 1, 3),
        (7, 13, 3),
        (17, 9, 3),
        (24, 24, 3),
        (33, 50, 3),
        (5, 11, 1),
        (40, 23, 1),
    ] {
        // A smooth pattern, so that JPEG at q90 stays close to it.
        let px: Vec<u8> = (0..h * w * c)
            .map(|i| {
                let (p, ch) = (i / c, i % c);
                let (y, x) = (p / w, p % w);
                (40 + 6 * y + 3 * x + 30 * ch).min(255) as u8
            })
            .collect();
        let bytes = encode(&px, h, w, c, 90).unwrap();
        let ours = decode(&bytes).unwrap();
        assert_eq!((ours.h, ours.w, ours.c), (h, w, c));
        let theirs = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{h}x{w}x{c}: image crate cannot read our file: {e}"));
        let theirs = if c == 1 {
            theirs.into_luma8().into_raw()
        } else {
            theirs.into_rgb8().into_raw()
        };
        let max = |a: &[u8], b: &[u8]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (*x as i32 - *y as i32).abs())
                .max()
                .unwrap()
        };
        // Different upsampling and IDCT in the image crate: a few levels apart at most.
        assert!(
            max(&ours.data, &theirs) <= 4,
            "{h}x{w}x{c}: decoders differ by {}",
            max(&ours.data, &theirs)
        );
        assert!(
            max(&ours.data, &px) <= 12,
            "{h}x{w}x{c}: q90 off by {}",
            max(&ours.data, &px)
        );
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(encode(&[0; 12], 2, 2, 3, 0).is_err());
    assert!(encode(&[0; 12], 2, 2, 3, 101).is_err());
    assert!(encode(&[0; 8], 2, 2, 2, 50).is_err());
    assert!(encode(&[0; 11], 2, 2, 3, 50).is_err());
    assert!(decode(b"not a jpeg").is_err());
    let good = encode(&[128; 16 * 16 * 3], 16, 16, 3, 50).unwrap();
    // Every truncation and a flipped byte at each position: an error or an image, never a panic.
    for n in 0..good.len() {
        let _ = decode(&good[..n]);
        let mut bad = good.clone();
        bad[n] ^= 0x5A;
        let _ = decode(&bad);
    }
}

/// `io::load_image` reads baseline JPEG files through this decoder: Pillow's pixels.
#[test]
fn io_reads_jpeg_files_as_pillow() {
    for (image, q, _, want) in jpeg_cases() {
        let stem = image.replace(".png", "");
        let path = dir().join(format!("jpeg/{stem}_q{q}.jpg"));
        let got = sralign::data::io::load_image(&path).unwrap().to_u8();
        assert!(got == want, "{image} q{q}: io differs from Pillow's decode");
    }
}

/// Entropy data cut short is an error (libjpeg would pad it with zeros and warn).
#[test]
fn truncated_scan_is_an_error() {
    let (h, w, px) = patch("sporco_sail.png");
    let good = encode(&px, h, w, 3, 50).unwrap();
    assert!(decode(&good).is_ok());
    // A file whose EOI alone is missing decodes (as with libjpeg).
    assert_eq!(
        decode(&good[..good.len() - 2]).unwrap(),
        decode(&good).unwrap()
    );
    for cut in [good.len() - 4, good.len() - 40, good.len() / 2] {
        let mut bad = good[..cut].to_vec();
        bad.extend_from_slice(&[0xFF, 0xD9]);
        assert!(decode(&bad).is_err(), "cut at {cut} of {}", good.len());
        assert!(decode(&good[..cut]).is_err(), "cut at {cut}, no EOI");
    }
}

/// Without a JFIF marker, component ids 'R', 'G', 'B' mean the planes are RGB already
/// (libjpeg's rule): the decoder then skips the YCbCr conversion.
#[test]
fn rgb_component_ids_skip_the_colour_conversion() {
    let (r, g, b) = (200.0f64, 50.0, 100.0);
    let px: Vec<u8> = [r as u8, g as u8, b as u8].repeat(16 * 16);
    let file = encode(&px, 16, 16, 3, 100).unwrap();
    let back = decode(&file).unwrap().data;
    assert!(
        back.iter().zip(&px).all(|(a, b)| a.abs_diff(*b) <= 1),
        "flat colour at q100"
    );
    // Drop the APP0 segment (18 bytes after SOI) and rename the components 1, 2, 3 -> R, G, B
    // in the frame and scan headers.
    let mut f = [&file[..2], &file[20..]].concat();
    for marker in [0xC0u8, 0xDA] {
        let at = f.windows(2).position(|m| m == [0xFF, marker]).unwrap();
        let (start, step) = if marker == 0xC0 {
            (at + 10, 3)
        } else {
            (at + 5, 2)
        };
        for k in 0..3 {
            assert_eq!(f[start + k * step], k as u8 + 1);
            f[start + k * step] = b"RGB"[k];
        }
    }
    let d = decode(&f).unwrap();
    // The planes as stored: Y, Cb, Cr of the colour (BT.601, full range).
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let ycc = [y, 128.0 + (b - y) / 1.772, 128.0 + (r - y) / 1.402];
    for (k, want) in ycc.iter().enumerate() {
        let got = d.data[k] as f64;
        assert!((got - want).abs() <= 1.0, "plane {k}: {got} vs {want}");
    }
}
