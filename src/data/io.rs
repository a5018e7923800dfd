//! Image files: PNG, JPEG, BMP, TIFF; 8- and 16-bit; gray, RGB, RGBA.
//!
//! Everything is returned as a 3-channel `Image` in [0, 1]: gray is expanded to RGB, alpha is
//! dropped; `ImageInfo` says what the file held so callers can report it (this layer prints
//! nothing). Every error names the file and the reason. Baseline JPEG is read and written by
//! `data::jpeg` (Pillow's pixels and bytes); other JPEG kinds are read by the `image` crate.

pub use super::Image;
use anyhow::{bail, Context, Result};
use image::{ColorType, DynamicImage, ImageDecoder, ImageReader};
use std::path::{Path, PathBuf};

/// Extensions recognised as images when listing a folder (case-insensitive).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "bmp", "tif", "tiff"];

/// What a file held before conversion to 3-channel f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub h: usize,
    pub w: usize,
    /// Channels in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    pub channels: usize,
    /// Bits per channel in the file (8, 16 or 32 for float TIFF).
    pub bits: usize,
}

impl ImageInfo {
    pub fn is_gray(&self) -> bool {
        self.channels <= 2
    }
    pub fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }
    /// A one-line note for a user when the file is not plain RGB, e.g. "gray, expanded to RGB".
    pub fn note(&self) -> Option<String> {
        match (self.is_gray(), self.has_alpha()) {
            (false, false) => None,
            (true, false) => Some("gray, expanded to RGB".into()),
            (false, true) => Some("RGBA, alpha dropped".into()),
            (true, true) => Some("gray+alpha, alpha dropped, expanded to RGB".into()),
        }
    }
}

fn info_of(ct: ColorType, w: u32, h: u32) -> ImageInfo {
    ImageInfo {
        h: h as usize,
        w: w as usize,
        channels: ct.channel_count() as usize,
        bits: (ct.bits_per_pixel() / ct.channel_count() as u16) as usize,
    }
}

fn open(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.is_dir() {
        bail!("{}: is a directory, not an image", path.display());
    }
    if meta.len() == 0 {
        bail!("{}: empty file (0 bytes)", path.display());
    }
    // Sniff the content (not the extension): a text file named .png is not an image.
    let mut head = [0u8; 64];
    let n = std::io::Read::read(
        &mut std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?,
        &mut head,
    )
    .with_context(|| format!("{}: cannot read", path.display()))?;
    if image::guess_format(&head[..n]).is_err() {
        bail!(
            "{}: not a recognised image (PNG, JPEG, BMP or TIFF expected)",
            path.display()
        );
    }
    let r = ImageReader::open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if r.format().is_none() {
        bail!(
            "{}: not a recognised image (PNG, JPEG, BMP or TIFF expected)",
            path.display()
        );
    }
    Ok(r)
}

/// The most bytes one decoded image may take (the file's own layout, before conversion to
/// f32): a corrupt or hostile header cannot make the decoder allocate more.
pub const MAX_DECODED_BYTES: u64 = 1 << 30;

/// The decoder of a file and its format, the declared size checked against
/// `MAX_DECODED_BYTES` with a message that gives both.
fn decoder(path: &Path) -> Result<(impl ImageDecoder, Option<image::ImageFormat>)> {
    let mut r = open(path)?;
    let format = r.format();
    // Our own check below says what was declared; the crate's would only say "Memory limit
    // exceeded".
    r.no_limits();
    let mut dec = r
        .into_decoder()
        .with_context(|| format!("{}: corrupt or truncated header", path.display()))?;
    let (w, h) = dec.dimensions();
    let bytes = dec.total_bytes();
    if bytes > MAX_DECODED_BYTES {
        bail!(
            "{}: the header declares {w}x{h} pixels ({:.1} GiB decoded); the limit is {} GiB",
            path.display(),
            bytes as f64 / (1u64 << 30) as f64,
            MAX_DECODED_BYTES >> 30
        );
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    dec.set_limits(limits)
        .with_context(|| format!("{}: {w}x{h} image", path.display()))?;
    Ok((dec, format))
}

/// Read only the header: size, channels, bit depth. Cheap; used to validate datasets up front.
pub fn probe(path: impl AsRef<Path>) -> Result<ImageInfo> {
    let path = path.as_ref();
    let (dec, _) = decoder(path)?;
    let (w, h) = dec.dimensions();
    let info = info_of(dec.color_type(), w, h);
    if info.h == 0 || info.w == 0 {
        bail!(
            "{}: image has zero size ({}x{})",
            path.display(),
            info.w,
            info.h
        );
    }
    Ok(info)
}

/// Decode a file fully; the raw `DynamicImage` keeps the file's bit depth (used by the decode
/// cache, which stores 8-bit images as bytes).
pub fn decode(path: impl AsRef<Path>) -> Result<(DynamicImage, ImageInfo)> {
    let path = path.as_ref();
    // The declared size is checked here, before either decoder below allocates.
    let (dec, format) = decoder(path)?;
    // Baseline JPEG through our libjpeg-turbo-exact decoder (the pixels Pillow and OpenCV
    // read); other JPEG kinds (progressive, CMYK, ...) through the `image` crate.
    let ours = (format == Some(image::ImageFormat::Jpeg))
        .then(|| std::fs::read(path).ok())
        .flatten()
        .and_then(|bytes| super::jpeg::decode(&bytes).ok());
    let img =
        match ours {
            Some(d) if d.c == 1 => image::GrayImage::from_raw(d.w as u32, d.h as u32, d.data)
                .map(DynamicImage::ImageLuma8),
            Some(d) => image::RgbImage::from_raw(d.w as u32, d.h as u32, d.data)
                .map(DynamicImage::ImageRgb8),
            None => None,
        };
    let img = match img {
        Some(img) => img,
        None => DynamicImage::from_decoder(dec)
            .with_context(|| format!("{}: corrupt or truncated image data", path.display()))?,
    };
    let info = info_of(img.color(), img.width(), img.height());
    if info.h == 0 || info.w == 0 {
        bail!(
            "{}: image has zero size ({}x{})",
            path.display(),
            info.w,
            info.h
        );
    }
    Ok((img, info))
}

/// Load an image as 3-channel f32 in [0, 1] (gray expanded, alpha dropped).
pub fn load_image(path: impl AsRef<Path>) -> Result<Image> {
    Ok(load_image_info(path)?.0)
}

/// Load an image and say what the file held.
pub fn load_image_info(path: impl AsRef<Path>) -> Result<(Image, ImageInfo)> {
    let (img, info) = decode(path)?;
    let (h, w) = (info.h, info.w);
    // Divide exactly (v / 255, v / 65535) so that 8-bit values round-trip through `to_u8`.
    let data: Vec<f32> = match info.bits {
        8 => img
            .into_rgb8()
            .into_raw()
            .into_iter()
            .map(|v| v as f32 / 255.0)
            .collect(),
        16 => img
            .into_rgb16()
            .into_raw()
            .into_iter()
            .map(|v| v as f32 / 65535.0)
            .collect(),
        _ => img.into_rgb32f().into_raw(),
    };
    Ok((Image { h, w, c: 3, data }, info))
}

/// Save an image, rounded to 8-bit; the format follows the extension (PNG recommended;
/// JPEG at quality 95, as Pillow writes it). Gray (c = 1) and RGB (c = 3) images are supported.
pub fn save_image(path: impl AsRef<Path>, img: &Image) -> Result<()> {
    let path = path.as_ref();
    let bytes = img.to_u8();
    let (w, h) = (img.w as u32, img.h as u32);
    let ct = match img.c {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        c => bail!("{}: cannot save an image with {c} channels", path.display()),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "jpg" || ext == "jpeg" {
        let data = super::jpeg::encode(&bytes, img.h, img.w, img.c, 95)
            .with_context(|| format!("{}: encoding JPEG", path.display()))?;
        std::fs::write(path, data).with_context(|| format!("{}: writing JPEG", path.display()))?;
        return Ok(());
    }
    image::save_buffer(path, &bytes, w, h, ct)
        .with_context(|| format!("{}: writing image", path.display()))
}

/// Image files in a folder (by extension), sorted by name. Errors if the folder is missing or
/// holds no images. Files with other extensions are returned separately so callers can say
/// what they ignored.
pub fn list_images(dir: impl AsRef<Path>) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let dir = dir.as_ref();
    let rd =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read folder", dir.display()))?;
    let mut images = Vec::new();
    let mut others = Vec::new();
    for e in rd {
        let p = e
            .with_context(|| format!("{}: listing", dir.display()))?
            .path();
        if p.is_dir() {
            continue;
        }
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            images.push(p);
        } else {
            others.push(p);
        }
    }
    images.sort();
    others.sort();
    if images.is_empty() {
        bail!(
            "{}: no images (expected files ending in {})",
            dir.display(),
            IMAGE_EXTENSIONS.join(", ")
        );
    }
    Ok((images, others))
}
