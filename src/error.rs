//! Typed engine errors. Every user-reachable failure of the engine is one of these: each names
//! the op and the shapes involved, so a message can be acted on without a debugger.

use std::fmt;

/// Shapes as written in messages, e.g. `[2, 3, 7, 5]`.
pub fn fmt_shapes(shapes: &[&[usize]]) -> String {
    shapes
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No adapter matched, or the device could not be created.
    NoAdapter(String),
    /// A launch or an allocation would exceed one of the adapter's limits.
    Limit {
        op: String,
        shapes: String,
        detail: String,
    },
    /// Input shapes that the op cannot combine.
    Shape {
        op: String,
        shapes: String,
        detail: String,
    },
    /// A parameter the op does not support (kernel size, channel count, zero size...).
    Unsupported { op: String, detail: String },
    /// An error reported by the device (validation, out of memory) after a submission.
    Device(String),
    /// Mapping a buffer for readback failed.
    Readback(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoAdapter(s) => write!(f, "no usable GPU adapter: {s}"),
            Error::Limit { op, shapes, detail } => {
                write!(
                    f,
                    "{op}: over the adapter's limits for shapes {shapes}: {detail}"
                )
            }
            Error::Shape { op, shapes, detail } => write!(f, "{op}: bad shapes {shapes}: {detail}"),
            Error::Unsupported { op, detail } => write!(f, "{op}: unsupported: {detail}"),
            Error::Device(s) => write!(f, "GPU device error: {s}"),
            Error::Readback(s) => write!(f, "GPU readback failed: {s}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for a shape error.
pub fn shape_err(op: &str, shapes: &[&[usize]], detail: impl Into<String>) -> Error {
    Error::Shape {
        op: op.to_string(),
        shapes: fmt_shapes(shapes),
        detail: detail.into(),
    }
}

/// Shorthand for an unsupported-parameter error.
pub fn unsupported(op: &str, detail: impl Into<String>) -> Error {
    Error::Unsupported {
        op: op.to_string(),
        detail: detail.into(),
    }
}
