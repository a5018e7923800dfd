//! A minimal reader for NumPy `.npy` files (version 1-3, C order, little-endian f8/f4/u1/u2),
//! enough for the reference fixtures in ../shared/fixtures, and a writer of f32 arrays.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// An array read from `.npy`, converted to f64.
#[derive(Clone, Debug)]
pub struct Npy {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

pub fn read_npy(path: impl AsRef<Path>) -> Result<Npy> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&bytes).with_context(|| format!("parsing {} as .npy", path.display()))
}

/// Write a little-endian float32 array in C order (`.npy` version 1.0).
pub fn write_npy_f32(path: impl AsRef<Path>, shape: &[usize], data: &[f32]) -> Result<()> {
    let path = path.as_ref();
    if shape.iter().product::<usize>() != data.len() {
        bail!(
            "{}: {} values for shape {shape:?}",
            path.display(),
            data.len()
        );
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 {
        format!("{},", dims[0])
    } else {
        dims.join(", ")
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({tuple}), }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    header.push_str(&" ".repeat((64 - (11 + header.len()) % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn parse(b: &[u8]) -> Result<Npy> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        bail!("not an .npy file (bad magic)");
    }
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => {
            if b.len() < 12 {
                bail!("truncated header");
            }
            (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
        }
        v => bail!("unsupported .npy version {v}"),
    };
    if b.len() < hlen.saturating_add(start) {
        bail!("truncated header");
    }
    let header = std::str::from_utf8(&b[start..start + hlen]).context("header is not UTF-8")?;
    let descr = field(header, "descr")?.trim_matches(|c| c == '\'' || c == '"' || c == ' ');
    if field(header, "fortran_order")?.trim() != "False" {
        bail!("Fortran-order arrays are not supported");
    }
    let shape_txt = field(header, "shape")?;
    let shape: Vec<usize> = shape_txt
        .trim_matches(|c| c == '(' || c == ')' || c == ' ')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().context("bad shape"))
        .collect::<Result<_>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .with_context(|| format!("shape {shape:?} has too many elements"))?;
    let body = &b[start + hlen..];
    let (size, conv): (usize, fn(&[u8]) -> f64) = match descr {
        "<f8" => (8, |c| f64::from_le_bytes(c.try_into().unwrap())),
        "<f4" => (4, |c| f32::from_le_bytes(c.try_into().unwrap()) as f64),
        "|u1" | "<u1" => (1, |c| c[0] as f64),
        "<u2" => (2, |c| u16::from_le_bytes(c.try_into().unwrap()) as f64),
        d => bail!("unsupported dtype {d}"),
    };
    if n.checked_mul(size).is_none_or(|bytes| body.len() < bytes) {
        bail!(
            "truncated data: {} bytes for {n} elements of {size}",
            body.len()
        );
    }
    let data = body[..n * size].chunks_exact(size).map(conv).collect();
    Ok(Npy { shape, data })
}

/// The text of `'key': value` in the header dict (value up to the next top-level comma).
fn field<'a>(header: &'a str, key: &str) -> Result<&'a str> {
    let pat = format!("'{key}':");
    let i = header
        .find(&pat)
        .with_context(|| format!("no '{key}' in header"))?
        + pat.len();
    let rest = &header[i..];
    let mut depth = 0;
    for (j, ch) in rest.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(rest[..j].trim()),
            _ => {}
        }
    }
    bail!("unterminated '{key}' in header")
}
