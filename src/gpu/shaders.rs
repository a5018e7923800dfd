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
shader!(SCALE_ADD, "scale_add.wgsl");
shader!(ADD_SCALE_ADD, "add_scale_add.wgsl");
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
shader!(OPTIM_ADAM_MULTI, "optim_adam_multi.wgsl");
shader!(OPTIM_EMA, "optim_ema.wgsl");
shader!(POOLED_ALIGN_FORWARD, "pooled_align_forward.wgsl");
shader!(POOLED_ALIGN_BACKWARD, "pooled_align_backward.wgsl");

// (section boundary: keep two lines between sections so parallel edits merge cleanly)

// -- conv2d --
shader!(CONV2D_PACK_INPUT, "conv2d_pack_input.wgsl");
shader!(CONV2D_PACK_INPUT4, "conv2d_pack_input4.wgsl");
shader!(CONV2D_PACK_INPUTS4, "conv2d_pack_inputs4.wgsl");
shader!(CONV2D_GRAD_SLICE, "conv2d_grad_slice.wgsl");
shader!(CONV2D_GRAD_SLICES, "conv2d_grad_slices.wgsl");
shader!(CONV2D_PACK_WEIGHT2, "conv2d_pack_weight2.wgsl");
shader!(CONV2D_PACK_DOUT4_ACT, "conv2d_pack_dout4_act.wgsl");
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
    CONV2D_BACKWARD_WEIGHT_SMALL,
    "conv2d_backward_weight_small.wgsl"
);
shader!(
    CONV2D_BACKWARD_WEIGHT_BUF,
    "conv2d_backward_weight_buf.wgsl"
);
shader!(CONV2D_REDUCE, "conv2d_reduce.wgsl");
shader!(CONV2D_REDUCE2, "conv2d_reduce2.wgsl");
shader!(CONV2D_REDUCE_BIAS, "conv2d_reduce_bias.wgsl");
shader!(CONV2D_REDUCE_BIAS4, "conv2d_reduce_bias4.wgsl");
shader!(CONV2D_BACKWARD_BIAS, "conv2d_backward_bias.wgsl");
shader!(CONV2D_BACKWARD_BIAS4, "conv2d_backward_bias4.wgsl");
shader!(CONV2D_IGEMM, "conv2d_igemm.wgsl");
shader!(CONV2D_IGEMM_WEIGHT, "conv2d_igemm_weight.wgsl");

// (section boundary)

// -- conv2d, Winograd F(2x2, 3x3) --
shader!(CONV_WINOGRAD_INPUT, "conv_winograd_input.wgsl");
shader!(CONV_WINOGRAD_GRADS, "conv_winograd_grads.wgsl");
shader!(CONV_WINOGRAD_WEIGHT, "conv_winograd_weight.wgsl");
shader!(CONV_WINOGRAD_WEIGHT2, "conv_winograd_weight2.wgsl");
shader!(
    CONV_WINOGRAD_WEIGHT_MIXED,
    "conv_winograd_weight_mixed.wgsl"
);
shader!(CONV_WINOGRAD_FORWARD, "conv_winograd_forward.wgsl");
shader!(CONV_WINOGRAD_DX_PARTS, "conv_winograd_dx_parts.wgsl");
shader!(CONV_WINOGRAD_WEIGHT_GRAD, "conv_winograd_weight_grad.wgsl");

// (section boundary)

// -- matmul, layernorm, windows, attention --
shader!(MATMUL_PACK, "matmul_pack.wgsl");
shader!(MATMUL_PACK4, "matmul_pack4.wgsl");
shader!(MATMUL_TEX, "matmul_tex.wgsl");
shader!(MATMUL_BUF, "matmul_buf.wgsl");
shader!(MATMUL_PARTS, "matmul_parts.wgsl");
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
shader!(
    LAYERNORM_BACKWARD_PARAMS_FINAL,
    "layernorm_backward_params_final.wgsl"
);
shader!(ATTENTION_SOFTMAX, "attention_softmax.wgsl");
shader!(
    ATTENTION_SOFTMAX_BACKWARD,
    "attention_softmax_backward.wgsl"
);
shader!(ATTENTION_BACKWARD_TABLE, "attention_backward_table.wgsl");

// (section boundary)

// -- fused window attention (one kernel per window and head; attention.rs `Fused`) --
shader!(ATTENTION_FUSED_BIAS, "attention_fused_bias.wgsl");
shader!(ATTENTION_FUSED_FORWARD, "attention_fused_forward.wgsl");
shader!(ATTENTION_FUSED_BACKWARD, "attention_fused_backward.wgsl");

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
shader!(PIXEL_SHUFFLE2, "pixel_shuffle2.wgsl");
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

/// Every registered shader, for the portability test (tests/shaders_portable.rs translates
/// each one with naga's SPIR-V, MSL, HLSL and GLSL back ends); that test also checks that every
/// file of `shaders/` is listed here.
pub static ALL: &[&Shader] = &[
    &FILL,
    &ACCUMULATE,
    &BINARY,
    &SCALE,
    &SCALE_ADD,
    &ADD_SCALE_ADD,
    &BIAS,
    &ACTIVATION_FORWARD,
    &ACTIVATION_BACKWARD,
    &PRELU_FORWARD,
    &PRELU_BACKWARD,
    &LOSS_BACKWARD,
    &REDUCE,
    &REDUCE_VEC4,
    &REDUCE_BROADCAST,
    &OPTIM_SGD,
    &OPTIM_ADAM,
    &OPTIM_ADAM_MULTI,
    &OPTIM_EMA,
    &POOLED_ALIGN_FORWARD,
    &POOLED_ALIGN_BACKWARD,
    &CONV2D_PACK_INPUT,
    &CONV2D_PACK_INPUT4,
    &CONV2D_PACK_INPUTS4,
    &CONV2D_GRAD_SLICE,
    &CONV2D_GRAD_SLICES,
    &CONV2D_PACK_WEIGHT2,
    &CONV2D_PACK_DOUT4_ACT,
    &CONV2D_PACK_WEIGHT,
    &CONV2D_FORWARD_TEX,
    &CONV2D_FORWARD_TEX3,
    &CONV2D_FORWARD_BUF,
    &CONV2D_FLIP_WEIGHT,
    &CONV2D_BACKWARD_WEIGHT_TEX,
    &CONV2D_BACKWARD_WEIGHT_TEX3,
    &CONV2D_BACKWARD_WEIGHT_SMALL,
    &CONV2D_BACKWARD_WEIGHT_BUF,
    &CONV2D_REDUCE,
    &CONV2D_REDUCE2,
    &CONV2D_REDUCE_BIAS,
    &CONV2D_REDUCE_BIAS4,
    &CONV2D_BACKWARD_BIAS,
    &CONV2D_BACKWARD_BIAS4,
    &CONV2D_IGEMM,
    &CONV2D_IGEMM_WEIGHT,
    &CONV_WINOGRAD_INPUT,
    &CONV_WINOGRAD_GRADS,
    &CONV_WINOGRAD_WEIGHT,
    &CONV_WINOGRAD_WEIGHT2,
    &CONV_WINOGRAD_WEIGHT_MIXED,
    &CONV_WINOGRAD_FORWARD,
    &CONV_WINOGRAD_DX_PARTS,
    &CONV_WINOGRAD_WEIGHT_GRAD,
    &MATMUL_PACK,
    &MATMUL_PACK4,
    &MATMUL_TEX,
    &MATMUL_BUF,
    &MATMUL_PARTS,
    &MATMUL_COLSUM,
    &WINDOW,
    &WINDOW4,
    &LAYERNORM_FORWARD,
    &LAYERNORM_BACKWARD_INPUT,
    &LAYERNORM_BACKWARD_PARAMS,
    &LAYERNORM_FORWARD4,
    &LAYERNORM_BACKWARD_INPUT4,
    &LAYERNORM_BACKWARD_PARAMS4,
    &LAYERNORM_BACKWARD_PARAMS_FINAL,
    &ATTENTION_SOFTMAX,
    &ATTENTION_SOFTMAX_BACKWARD,
    &ATTENTION_BACKWARD_TABLE,
    &ATTENTION_FUSED_BIAS,
    &ATTENTION_FUSED_FORWARD,
    &ATTENTION_FUSED_BACKWARD,
    &SPATIAL_MEAN,
    &COVARIANCE_PARTIAL,
    &COVARIANCE_REDUCE,
    &COVARIANCE_BACKWARD,
    &COVARIANCE_PARTIAL_VEC4,
    &COVARIANCE_PARTIAL_SG,
    &COVARIANCE_BACKWARD_SG,
    &COVARIANCE_PAD_MATRIX,
    &RFF_FORWARD,
    &RFF_FORWARD_SG,
    &DROPOUT,
    &PIXEL_SHUFFLE,
    &PIXEL_SHUFFLE2,
    &UPSAMPLE_NEAREST,
    &UPSAMPLE_BILINEAR,
    &CONCAT,
    &PAD,
    // LPIPS's networks (general convolutions, max pooling, channel normalisation).
    &CONV2D_GENERAL_FORWARD,
    &CONV2D_GENERAL_BACKWARD_INPUT,
    &CONV2D_GENERAL_BACKWARD_WEIGHT,
    &MAX_POOL_FORWARD,
    &MAX_POOL_BACKWARD,
    &CHANNEL_NORM_FORWARD,
    &CHANNEL_NORM_BACKWARD,
];

/// Every value an `override` constant is launched with: (shader file, constant, values).
/// `Gpu::launch` refuses a value not listed here, so the portability test, which translates
/// each shader once per listed value, covers every pipeline the engine can create.
pub static OVERRIDES: &[(&str, &str, &[f64])] = &[
    // reduce.rs `Term`: Value, Square, NegProduct, AbsDiff, SquaredDiff, Charbonnier.
    ("reduce.wgsl", "MODE", &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    ("reduce_vec4.wgsl", "MODE", &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    // loss.rs: L1, MSE, Charbonnier (the `Term` values 3, 4, 5).
    ("loss_backward.wgsl", "MODE", &[3.0, 4.0, 5.0]),
    // conv2d.rs `tiled_wg`: lanes per side of the tiled (GPU) convolution's workgroups.
    ("conv2d_igemm.wgsl", "WG", &[8.0, 16.0]),
    ("conv2d_igemm_weight.wgsl", "WG", &[8.0, 16.0]),
    // matmul.rs `linear_operand`: which operands are read from linear textures instead of
    // packed ones, and how (A: 0 packed, 1 by rows, 4 by columns; B: 0, 2, 8), + 16 where a
    // B read by columns also sums A's rows (db in dW's launches), + 32 for a product split
    // along k in one launch (`gemm_texture_parts`: both linear, one read by columns).
    (
        "matmul_tex.wgsl",
        "LINEAR",
        &[
            0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 9.0, 12.0, 24.0, 25.0, 28.0, 38.0, 41.0, 44.0, 57.0,
            60.0,
        ],
    ),
    // conv2d.rs `four_outputs`: output channels per workgroup of the 3x3 texture kernel and per
    // lane of the small-channel weight gradient (8 is their default, launched with no override).
    ("conv2d_forward_tex3.wgsl", "CO", &[4.0, 8.0]),
    ("conv2d_backward_weight_small.wgsl", "CO", &[4.0, 8.0]),
    // attention.rs fused kernels: texels of head_dim (head_dim <= 32).
    ("attention_fused_forward.wgsl", "DT", DT_VALUES),
    // attention.rs fused_hi: whether the texel after a head slice's DT texels is fetched.
    ("attention_fused_forward.wgsl", "HI", &[0.0, 1.0]),
    ("attention_fused_backward.wgsl", "DT", DT_VALUES),
];

const DT_VALUES: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];

/// True when `OVERRIDES` lists this value of this constant for this shader.
pub fn override_listed(shader: &str, name: &str, value: f64) -> bool {
    OVERRIDES
        .iter()
        .any(|(s, n, vals)| *s == shader && *n == name && vals.contains(&value))
}
