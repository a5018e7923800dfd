//! Image IO: formats, bit depths, channel layouts, and every bad-file case named in the error.

use image::{ImageBuffer, Luma, LumaA, Rgb, Rgba};
use sralign::data::io::{list_images, load_image, load_image_info, probe, save_image};
use sralign::data::Image;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sralign_data_io_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pattern(h: usize, w: usize) -> Image {
    Image::from_u8(
        h,
        w,
        3,
        &(0..h * w * 3)
            .map(|i| (i * 37 % 251) as u8)
            .collect::<Vec<_>>(),
    )
}

#[test]
fn png_roundtrip_is_exact() {
    let d = tmp("png");
    let img = pattern(13, 17);
    save_image(d.join("a.png"), &img).unwrap();
    assert_eq!(load_image(d.join("a.png")).unwrap(), img);
}

#[test]
fn formats_depths_and_layouts() {
    let d = tmp("formats");
    let (w, h) = (9u32, 7u32);
    let n = (w * h) as usize;
    let g8: Vec<u8> = (0..n).map(|i| (i * 3) as u8).collect();
    ImageBuffer::<Luma<u8>, _>::from_raw(w, h, g8.clone())
        .unwrap()
        .save(d.join("g8.png"))
        .unwrap();
    let g16: Vec<u16> = (0..n).map(|i| (i * 1000) as u16).collect();
    ImageBuffer::<Luma<u16>, _>::from_raw(w, h, g16.clone())
        .unwrap()
        .save(d.join("g16.tif"))
        .unwrap();
    let rgb16: Vec<u16> = (0..3 * n).map(|i| (i * 300) as u16).collect();
    ImageBuffer::<Rgb<u16>, _>::from_raw(w, h, rgb16.clone())
        .unwrap()
        .save(d.join("rgb16.png"))
        .unwrap();
    let rgba: Vec<u8> = (0..4 * n).map(|i| (i * 5) as u8).collect();
    ImageBuffer::<Rgba<u8>, _>::from_raw(w, h, rgba.clone())
        .unwrap()
        .save(d.join("rgba.png"))
        .unwrap();
    let ga: Vec<u8> = (0..2 * n).map(|i| i as u8).collect();
    ImageBuffer::<LumaA<u8>, _>::from_raw(w, h, ga.clone())
        .unwrap()
        .save(d.join("ga.png"))
        .unwrap();
    let rgb: Vec<u8> = (0..3 * n).map(|i| (i * 7) as u8).collect();
    ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, rgb.clone())
        .unwrap()
        .save(d.join("rgb.bmp"))
        .unwrap();
    ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, rgb.clone())
        .unwrap()
        .save(d.join("rgb.tiff"))
        .unwrap();
    save_image(
        d.join("rgb.jpg"),
        &Image::from_u8(h as usize, w as usize, 3, &rgb),
    )
    .unwrap();

    let (a, i) = load_image_info(d.join("g8.png")).unwrap();
    assert_eq!(
        (a.c, i.channels, i.bits, i.note().unwrap().contains("gray")),
        (3, 1, 8, true)
    );
    for (p, &g) in g8.iter().enumerate().take(n) {
        assert_eq!(a.data[3 * p], g as f32 / 255.0);
        assert!(
            a.data[3 * p] == a.data[3 * p + 1] && a.data[3 * p + 1] == a.data[3 * p + 2],
            "gray expanded to RGB"
        );
    }
    let (a, i) = load_image_info(d.join("g16.tif")).unwrap();
    assert_eq!((i.channels, i.bits), (1, 16));
    for (p, &g) in g16.iter().enumerate().take(n) {
        assert!(
            (a.data[3 * p] - g as f32 / 65535.0).abs() < 1e-6,
            "16-bit precision kept"
        );
    }
    let (a, i) = load_image_info(d.join("rgb16.png")).unwrap();
    assert_eq!((i.channels, i.bits, i.note()), (3, 16, None));
    assert!(a
        .data
        .iter()
        .zip(&rgb16)
        .all(|(x, y)| (x - *y as f32 / 65535.0).abs() < 1e-6));
    let (a, i) = load_image_info(d.join("rgba.png")).unwrap();
    assert!(i.has_alpha() && i.note().unwrap().contains("alpha dropped"));
    for p in 0..n {
        for ch in 0..3 {
            assert_eq!(
                a.data[3 * p + ch],
                rgba[4 * p + ch] as f32 / 255.0,
                "alpha dropped, colour kept"
            );
        }
    }
    let (a, i) = load_image_info(d.join("ga.png")).unwrap();
    assert!(i.is_gray() && i.has_alpha());
    assert_eq!(a.data[3], ga[2] as f32 / 255.0);
    for f in ["rgb.bmp", "rgb.tiff"] {
        assert_eq!(load_image(d.join(f)).unwrap().to_u8(), rgb, "{f}");
    }
    let j = load_image(d.join("rgb.jpg")).unwrap();
    assert_eq!((j.h, j.w, j.c), (h as usize, w as usize, 3));
}

fn err_of(p: &PathBuf) -> String {
    format!("{:#}", load_image(p).unwrap_err())
}

#[test]
fn bad_files_give_errors_naming_the_file() {
    let d = tmp("bad");
    let good = d.join("good.png");
    save_image(&good, &pattern(40, 40)).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cases = [
        ("empty.png", vec![], "empty"),
        (
            "text.png",
            b"this is not an image, just some text\n".repeat(4),
            "not a recognised image",
        ),
        (
            "corrupt.png",
            [&bytes[..8], &[0x5a; 200][..]].concat(),
            "corrupt",
        ),
        (
            "truncated.png",
            bytes[..bytes.len() / 2].to_vec(),
            "corrupt or truncated",
        ),
        ("tiny.jpg", vec![0xff, 0xd8, 0xff], "corrupt"),
    ];
    for (name, content, reason) in cases {
        let p = d.join(name);
        std::fs::write(&p, content).unwrap();
        let e = err_of(&p);
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(reason), "{name}: expected '{reason}' in: {e}");
    }
    let e = err_of(&d.join("missing.png"));
    assert!(e.contains("missing.png"), "{e}");
    let e = err_of(&d);
    assert!(e.contains("directory"), "{e}");
    assert!(probe(d.join("text.png")).is_err() && probe(&good).is_ok());
}

#[test]
fn folder_listing() {
    let d = tmp("list");
    let e = format!("{:#}", list_images(&d).unwrap_err());
    assert!(e.contains("no images"), "{e}");
    std::fs::write(d.join("notes.txt"), "x").unwrap();
    assert!(
        list_images(&d).is_err(),
        "a folder of non-images has no images"
    );
    save_image(d.join("b.PNG"), &pattern(4, 4)).unwrap();
    save_image(d.join("a.png"), &pattern(4, 4)).unwrap();
    let (imgs, other) = list_images(&d).unwrap();
    let names: Vec<_> = imgs
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a.png", "b.PNG"]);
    assert_eq!(other.len(), 1);
    assert!(list_images(d.join("nope")).is_err());
}

#[test]
fn npy_writer_round_trips_through_the_reader() {
    let dir = std::env::temp_dir().join(format!("sralign_npy_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for shape in [vec![7usize], vec![3, 5, 2]] {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|i| i as f32 * 0.37 - 1.0).collect();
        let p = dir.join("a.npy");
        sralign::data::npy::write_npy_f32(&p, &shape, &v).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!((bytes.len() - n * 4) % 64, 0, "header padded to 64 bytes");
        let back = sralign::data::npy::read_npy(&p).unwrap();
        assert_eq!(back.shape, shape);
        assert!(back.data.iter().zip(&v).all(|(a, b)| *a == *b as f64));
    }
    let e = sralign::data::npy::write_npy_f32(dir.join("b.npy"), &[2, 2], &[1.0; 3]).unwrap_err();
    assert!(e.to_string().contains("3 values for shape [2, 2]"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
