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

// (section boundary)

// -- matmul, layernorm, windows, attention --
shader!(MATMUL_PACK, "matmul_pack.wgsl");
shader!(MATMUL_PACK4, "matmul_pack4.wgsl");
shader!(MATMUL_TEX, "matmul_tex.wgsl");
shader!(MATMUL_BUF, "matmul_buf.wgsl");
shader!(MATMUL_COLSUM, "matmul_colsum.wgsl");
shader!(WINDOW, "window.wgsl");
shader!(WINDOW4, "window4.wgsl");
shader!(LAYERNORM_FORWARD, "layernorm_forward.wgsl");
shader!(LAYERNORM_BACKWARD_INPUT, "layernorm_backward_input.wgsl");
shader!(LAYERNORM_BACKWARD_PARAMS, "layernorm_backward_params.wgsl");
shader!(LAYERNORM_FORWARD4, "layernorm_forward4.wgsl");
shader!(LAYERNORM_BACKWARD_INPUT4, "layernorm_backward_input4.wgsl");
shader!(
    LAYERNORM_BACKWARD_PARAMS4,
    "layernorm_backward_params4.wgsl"
);
shader!(ATTENTION_SOFTMAX, "attention_softmax.wgsl");
shader!(
    ATTENTION_SOFTMAX_BACKWARD,
    "attention_softmax_backward.wgsl"
);
shader!(ATTENTION_BACKWARD_TABLE, "attention_backward_table.wgsl");

// (section boundary)

// -- spatial statistics, RFF, dropout, resampling, concat --

// (end of registry)
