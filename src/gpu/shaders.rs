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
shader!(SCALE, "scale.wgsl");
shader!(BIAS, "bias.wgsl");
shader!(ACTIVATION_FORWARD, "activation_forward.wgsl");
shader!(ACTIVATION_BACKWARD, "activation_backward.wgsl");
shader!(PRELU_FORWARD, "prelu_forward.wgsl");
shader!(PRELU_BACKWARD, "prelu_backward.wgsl");
shader!(LOSS_BACKWARD, "loss_backward.wgsl");
shader!(REDUCE, "reduce.wgsl");
shader!(REDUCE_VEC4, "reduce_vec4.wgsl");
shader!(REDUCE_BROADCAST, "reduce_broadcast.wgsl");
shader!(OPTIM_SGD, "optim_sgd.wgsl");
shader!(OPTIM_ADAM, "optim_adam.wgsl");
shader!(OPTIM_EMA, "optim_ema.wgsl");
shader!(POOLED_ALIGN_FORWARD, "pooled_align_forward.wgsl");
shader!(POOLED_ALIGN_BACKWARD, "pooled_align_backward.wgsl");

// (section boundary: keep two lines between sections so parallel edits merge cleanly)

// -- conv2d --
shader!(CONV2D_PACK_INPUT, "conv2d_pack_input.wgsl");
shader!(CONV2D_PACK_INPUT4, "conv2d_pack_input4.wgsl");
shader!(CONV2D_PACK_WEIGHT, "conv2d_pack_weight.wgsl");
shader!(CONV2D_FORWARD_TEX, "conv2d_forward_tex.wgsl");
shader!(CONV2D_FORWARD_TEX3, "conv2d_forward_tex3.wgsl");
shader!(CONV2D_FORWARD_BUF, "conv2d_forward_buf.wgsl");
shader!(CONV2D_FLIP_WEIGHT, "conv2d_flip_weight.wgsl");
shader!(
    CONV2D_BACKWARD_WEIGHT_TEX,
    "conv2d_backward_weight_tex.wgsl"
);
shader!(
    CONV2D_BACKWARD_WEIGHT_TEX3,
    "conv2d_backward_weight_tex3.wgsl"
);
shader!(
    CONV2D_BACKWARD_WEIGHT_BUF,
    "conv2d_backward_weight_buf.wgsl"
);
shader!(CONV2D_REDUCE, "conv2d_reduce.wgsl");
shader!(CONV2D_BACKWARD_BIAS, "conv2d_backward_bias.wgsl");

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
shader!(SPATIAL_MEAN, "spatial_mean.wgsl");
shader!(COVARIANCE_PARTIAL, "covariance_partial.wgsl");
shader!(COVARIANCE_REDUCE, "covariance_reduce.wgsl");
shader!(COVARIANCE_BACKWARD, "covariance_backward.wgsl");
shader!(COVARIANCE_PARTIAL_VEC4, "covariance_partial_vec4.wgsl");
shader!(COVARIANCE_PARTIAL_SG, "covariance_partial_sg.wgsl");
shader!(COVARIANCE_BACKWARD_SG, "covariance_backward_sg.wgsl");
shader!(COVARIANCE_PAD_MATRIX, "covariance_pad_matrix.wgsl");
shader!(RFF_FORWARD, "rff_forward.wgsl");
shader!(RFF_FORWARD_SG, "rff_forward_sg.wgsl");
shader!(DROPOUT, "dropout.wgsl");
shader!(PIXEL_SHUFFLE, "pixel_shuffle.wgsl");
shader!(UPSAMPLE_NEAREST, "upsample_nearest.wgsl");
shader!(UPSAMPLE_BILINEAR, "upsample_bilinear.wgsl");
shader!(CONCAT, "concat.wgsl");
shader!(PAD, "pad.wgsl");

// (section boundary)

// -- LPIPS networks: strided / large-kernel convolution, max-pooling, channel normalisation --
shader!(CONV2D_GENERAL_FORWARD, "conv2d_general_forward.wgsl");
shader!(
    CONV2D_GENERAL_BACKWARD_INPUT,
    "conv2d_general_backward_input.wgsl"
);
shader!(
    CONV2D_GENERAL_BACKWARD_WEIGHT,
    "conv2d_general_backward_weight.wgsl"
);
shader!(MAX_POOL_FORWARD, "max_pool_forward.wgsl");
shader!(MAX_POOL_BACKWARD, "max_pool_backward.wgsl");
shader!(CHANNEL_NORM_FORWARD, "channel_norm_forward.wgsl");
shader!(CHANNEL_NORM_BACKWARD, "channel_norm_backward.wgsl");

// (end of registry)
