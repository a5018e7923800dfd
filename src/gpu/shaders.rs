//! The shader registry: every WGSL file of `shaders/`, embedded once with `include_str!`.
//! Only workgroup sizes and tile constants vary, through WGSL `override` constants.
//!
//! Convention for every kernel: `@group(0) @binding(0) var<uniform> p: Params;` holds the
//! launch parameters (and every entry point reads it); storage buffers and textures follow at
//! bindings 1, 2, ... in the order of `Launch::binds`. Every binding of a file is used by
//! every entry point of that file (pipelines use the layout derived from the shader).

/// One WGSL source file.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
}

macro_rules! shader {
    ($ident:ident, $file:literal) => {
        pub static $ident: Shader = Shader {
            name: $file,
            source: include_str!(concat!("../../shaders/", $file)),
        };
    };
}

// -- engine --
shader!(FILL, "fill.wgsl");
shader!(ACCUMULATE, "accumulate.wgsl");

// -- elementwise, activations, losses, reductions, optimisers --
shader!(BINARY, "binary.wgsl");

// (section boundary: keep two lines between sections so parallel edits merge cleanly)

// -- conv2d --
shader!(CONV2D_PACK_INPUT, "conv2d_pack_input.wgsl");
shader!(CONV2D_PACK_WEIGHT, "conv2d_pack_weight.wgsl");
shader!(CONV2D_FORWARD_TEX, "conv2d_forward_tex.wgsl");
shader!(CONV2D_FORWARD_BUF, "conv2d_forward_buf.wgsl");
shader!(CONV2D_FLIP_WEIGHT, "conv2d_flip_weight.wgsl");
shader!(
    CONV2D_BACKWARD_WEIGHT_TEX,
    "conv2d_backward_weight_tex.wgsl"
);
shader!(
    CONV2D_BACKWARD_WEIGHT_BUF,
    "conv2d_backward_weight_buf.wgsl"
);
shader!(CONV2D_REDUCE, "conv2d_reduce.wgsl");
shader!(CONV2D_BACKWARD_BIAS, "conv2d_backward_bias.wgsl");

// (section boundary)

// -- matmul, layernorm, windows, attention --

// (section boundary)

// -- spatial statistics, RFF, dropout, resampling, concat --

// (end of registry)
