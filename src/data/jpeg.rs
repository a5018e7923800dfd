//! JPEG compression artefacts: encode at a quality with the `image` crate's encoder, decode
//! back. The input is clamped and rounded to 8-bit first.

use super::Image;
use anyhow::{bail, Context, Result};

/// JPEG round trip at `quality` (1..=100). Gray (c = 1) and RGB (c = 3) images.
pub fn jpeg(img: &Image, quality: u8) -> Result<Image> {
    if !(1..=100).contains(&quality) {
        bail!("jpeg: quality {quality} outside 1..=100");
    }
    let ct = match img.c {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        c => bail!("jpeg: {c} channels (1 or 3 expected)"),
    };
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode(&img.to_u8(), img.w as u32, img.h as u32, ct)
        .context("jpeg: encoding")?;
    let dec = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .context("jpeg: decoding")?;
    let data = if img.c == 1 {
        dec.into_luma8().into_raw()
    } else {
        dec.into_rgb8().into_raw()
    };
    Ok(Image::from_u8(img.h, img.w, img.c, &data))
}
