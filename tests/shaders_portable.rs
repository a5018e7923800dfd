//! Portability of every WGSL kernel: each shader of the registry, once per `override` value the
//! engine launches it with (`gpu::shaders::OVERRIDES`), is validated by naga and translated by
//! each of naga's back ends with the options a real device of that API would use, so a kernel
//! that would fail on Metal, DX12 or GL fails here on any machine.
//!
//! - validation: without capabilities; shaders that use subgroups need `Capabilities::SUBGROUP`
//!   (compute stage, every subgroup operation), as wgpu grants with `Features::SUBGROUP`, and
//!   must be exactly `SUBGROUP_SHADERS` (their launchers pick them only on adapters with
//!   subgroups of >= 8 lanes);
//! - SPIR-V 1.3 (the first with subgroup operations; Vulkan 1.1), bounds checks `Restrict`;
//! - MSL 2.1 (the first with `simd_broadcast` in compute kernels: macOS 10.14 / iOS 12), an
//!   explicit per-entry-point binding map (buffer and texture slots, a sizes buffer for runtime
//!   arrays) instead of invented bindings, bounds checks `Restrict`;
//! - HLSL shader model 6.0 (wave intrinsics; DX12's DXC path), registers from an explicit
//!   binding map (space = group, register = binding);
//! - GLSL ES 3.10 (the lowest GL version with compute shaders; subgroup shaders get the
//!   GL_KHR_shader_subgroup extensions), explicit bindings per resource class;
//! - every entry point within WebGPU's default limits: workgroup size and invocations,
//!   workgroup memory, storage buffers, storage and sampled textures, uniform buffers (the
//!   few shaders listed in `ABOVE_DEFAULT_STORAGE_BUFFERS` have a fallback within them).

use std::collections::BTreeSet;

use naga::back::{glsl, hlsl, msl, spv};
use naga::valid::{Capabilities, ModuleInfo, ShaderStages, SubgroupOperationSet, ValidationFlags};
use naga::{AddressSpace, Module, ShaderStage, StorageAccess, TypeInner};
use sralign::gpu::shaders::{Shader, ALL, OVERRIDES};

/// Shaders over WebGPU's default of 8 storage buffers per stage, each with the most it binds:
/// their launchers pick them only where the adapter's limit allows, and otherwise a kernel
/// within the defaults (the op files' `SRALIGN_LIMITS=default` child runs take that path).
const ABOVE_DEFAULT_STORAGE_BUFFERS: &[(&str, u32)] = &[
    // ops::optim `adam_groups`: 11 tensors per dispatch, else optim_adam.wgsl per tensor.
    ("optim_adam_multi.wgsl", 44),
    // ops::conv2d_multi `part_grads`: every part at once, else conv2d_grad_slice.wgsl per part.
    ("conv2d_grad_slices.wgsl", 11),
    // ops::conv_winograd `conv_parts` (`parts_fit`): every part's input gradient stored by the
    // GEMM, else conv_winograd_forward.wgsl writes dx and part_grads splits it.
    ("conv_winograd_dx_parts.wgsl", 10),
];

/// Shaders that need subgroup operations.
const SUBGROUP_SHADERS: &[&str] = &[
    "conv2d_forward_tex.wgsl",
    "conv2d_forward_tex3.wgsl",
    "conv2d_backward_weight_small.wgsl",
    "conv2d_backward_weight_tex.wgsl",
    "conv2d_backward_weight_tex3.wgsl",
    // ops::conv_winograd: `blocker` refuses adapters without subgroups of >= 8 lanes.
    "conv_winograd_forward.wgsl",
    "conv_winograd_dx_parts.wgsl",
    "matmul_tex.wgsl",
    "covariance_partial_sg.wgsl",
    "covariance_backward_sg.wgsl",
    "rff_forward_sg.wgsl",
    // attention.rs `Fused` (fused_unsupported requires subgroups of >= 8 lanes).
    "attention_fused_forward.wgsl",
    "attention_fused_backward.wgsl",
];

fn validate(module: &Module, caps: Capabilities) -> Result<ModuleInfo, String> {
    let mut v = naga::valid::Validator::new(ValidationFlags::all(), caps);
    if caps.contains(Capabilities::SUBGROUP) {
        v.subgroup_stages(ShaderStages::COMPUTE)
            .subgroup_operations(SubgroupOperationSet::all());
    }
    v.validate(module)
        .map_err(|e| format!("{:?}", e.into_inner()))
}

/// The override sets a shader is launched with: its listed values, or none.
fn override_sets(shader: &Shader) -> Vec<naga::back::PipelineConstants> {
    let listed: Vec<_> = OVERRIDES
        .iter()
        .filter(|(s, _, _)| *s == shader.name)
        .collect();
    if listed.is_empty() {
        return vec![Default::default()];
    }
    // Every combination of the listed values (the product over the constants).
    let mut sets = vec![naga::back::PipelineConstants::default()];
    for (_, name, values) in listed {
        sets = sets
            .iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(name.to_string(), *v);
                    c
                })
            })
            .collect();
    }
    sets
}

enum Class {
    Uniform,
    Storage { write: bool },
    Texture { storage: bool },
    Sampler,
}

/// The resources of a module in (group, binding) order with their class.
fn resources(module: &Module) -> Vec<(naga::ResourceBinding, Class)> {
    let mut out: Vec<_> = module
        .global_variables
        .iter()
        .filter_map(|(_, g)| {
            let rb = g.binding?;
            let class = match g.space {
                AddressSpace::Uniform => Class::Uniform,
                AddressSpace::Storage { access } => Class::Storage {
                    write: access.contains(StorageAccess::STORE),
                },
                _ => match module.types[g.ty].inner {
                    TypeInner::Image { class, .. } => Class::Texture {
                        storage: matches!(class, naga::ImageClass::Storage { .. }),
                    },
                    _ => Class::Sampler,
                },
            };
            Some((rb, class))
        })
        .collect();
    out.sort_by_key(|(rb, _)| (rb.group, rb.binding));
    out
}

fn to_spirv(module: &Module, info: &ModuleInfo, entry: &str) -> Result<(), String> {
    let policy = naga::proc::BoundsCheckPolicy::Restrict;
    let options = spv::Options {
        lang_version: (1, 3),
        bounds_check_policies: naga::proc::BoundsCheckPolicies {
            index: policy,
            buffer: policy,
            image_load: policy,
            binding_array: naga::proc::BoundsCheckPolicy::Unchecked,
        },
        ..Default::default()
    };
    let pipeline = spv::PipelineOptions {
        shader_stage: ShaderStage::Compute,
        entry_point: entry.to_string(),
    };
    let words =
        spv::write_vec(module, info, &options, Some(&pipeline)).map_err(|e| e.to_string())?;
    if words.first() != Some(&0x0723_0203) {
        return Err("no SPIR-V magic number".into());
    }
    Ok(())
}

fn to_msl(module: &Module, info: &ModuleInfo, entry: &str) -> Result<String, String> {
    let mut res = msl::EntryPointResources::default();
    let (mut buffers, mut textures) = (0u8, 0u8);
    for (rb, class) in resources(module) {
        let mut t = msl::BindTarget::default();
        match class {
            Class::Uniform => {
                t.buffer = Some(buffers);
                buffers += 1;
            }
            Class::Storage { write } => {
                t.buffer = Some(buffers);
                t.mutable = write;
                buffers += 1;
            }
            Class::Texture { storage } => {
                t.texture = Some(textures);
                t.mutable = storage;
                textures += 1;
            }
            Class::Sampler => return Err("samplers are not used by compute kernels here".into()),
        }
        res.resources.insert(rb, t);
    }
    res.sizes_buffer = Some(buffers);
    let policy = naga::proc::BoundsCheckPolicy::Restrict;
    let options = msl::Options {
        lang_version: (2, 1),
        fake_missing_bindings: false,
        per_entry_point_map: msl::EntryPointResourceMap::from([(entry.to_string(), res)]),
        bounds_check_policies: naga::proc::BoundsCheckPolicies {
            index: policy,
            buffer: policy,
            image_load: policy,
            binding_array: naga::proc::BoundsCheckPolicy::Unchecked,
        },
        zero_initialize_workgroup_memory: false,
        ..Default::default()
    };
    let pipeline = msl::PipelineOptions {
        entry_point: Some((ShaderStage::Compute, entry.to_string())),
        ..Default::default()
    };
    let (src, tinfo) =
        msl::write_string(module, info, &options, &pipeline).map_err(|e| e.to_string())?;
    for name in tinfo.entry_point_names {
        name.map_err(|e| e.to_string())?;
    }
    Ok(src)
}

fn to_hlsl(module: &Module, info: &ModuleInfo, entry: &str) -> Result<String, String> {
    let mut map = hlsl::BindingMap::default();
    for (rb, _) in resources(module) {
        map.insert(
            rb,
            hlsl::BindTarget {
                space: rb.group as u8,
                register: rb.binding,
                ..Default::default()
            },
        );
    }
    let options = hlsl::Options {
        shader_model: hlsl::ShaderModel::V6_0,
        binding_map: map,
        fake_missing_bindings: false,
        zero_initialize_workgroup_memory: false,
        ..Default::default()
    };
    let pipeline = hlsl::PipelineOptions {
        entry_point: Some((ShaderStage::Compute, entry.to_string())),
    };
    let mut src = String::new();
    hlsl::Writer::new(&mut src, &options, &pipeline)
        .write(module, info, None)
        .map_err(|e| e.to_string())?;
    Ok(src)
}

fn to_glsl(module: &Module, info: &ModuleInfo, entry: &str) -> Result<String, String> {
    let mut map = glsl::BindingMap::default();
    let mut next = [0u8; 4];
    for (rb, class) in resources(module) {
        let k = match class {
            Class::Uniform => 0,
            Class::Storage { .. } => 1,
            Class::Texture { storage: false } | Class::Sampler => 2,
            Class::Texture { storage: true } => 3,
        };
        map.insert(rb, next[k]);
        next[k] += 1;
    }
    let options = glsl::Options {
        version: glsl::Version::new_gles(310),
        writer_flags: glsl::WriterFlags::empty(),
        binding_map: map,
        zero_initialize_workgroup_memory: false,
    };
    let pipeline = glsl::PipelineOptions {
        shader_stage: ShaderStage::Compute,
        entry_point: entry.to_string(),
        multiview: None,
    };
    let mut src = String::new();
    glsl::Writer::new(
        &mut src,
        module,
        info,
        &options,
        &pipeline,
        naga::proc::BoundsCheckPolicies::default(),
    )
    .and_then(|mut w| w.write())
    .map_err(|e| e.to_string())?;
    Ok(src)
}

/// What WebGPU's default limits (`wgpu::Limits::default()`) allow one compute entry point
/// (storage buffers: as `ABOVE_DEFAULT_STORAGE_BUFFERS` says for the shaders it lists).
fn within_default_limits(
    name: &str,
    module: &Module,
    entry: &naga::EntryPoint,
) -> Result<(), String> {
    let mut l = wgpu_default_limits();
    if let Some((_, n)) = ABOVE_DEFAULT_STORAGE_BUFFERS
        .iter()
        .find(|(s, _)| *s == name)
    {
        l.max_storage_buffers_per_shader_stage = *n;
    }
    let [x, y, z] = entry.workgroup_size;
    let mut errs = Vec::new();
    if x > l.max_compute_workgroup_size_x
        || y > l.max_compute_workgroup_size_y
        || z > l.max_compute_workgroup_size_z
        || x * y * z > l.max_compute_invocations_per_workgroup
    {
        errs.push(format!(
            "workgroup {x}x{y}x{z} over max_compute_invocations_per_workgroup {} / sizes {}x{}x{}",
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroup_size_x,
            l.max_compute_workgroup_size_y,
            l.max_compute_workgroup_size_z
        ));
    }
    let shared: u32 = module
        .global_variables
        .iter()
        .filter(|(_, g)| g.space == AddressSpace::WorkGroup)
        .map(|(_, g)| module.types[g.ty].inner.size(module.to_ctx()))
        .sum();
    if shared > l.max_compute_workgroup_storage_size {
        errs.push(format!(
            "{shared} bytes of workgroup memory over max_compute_workgroup_storage_size {}",
            l.max_compute_workgroup_storage_size
        ));
    }
    let res = resources(module);
    let count = |f: fn(&Class) -> bool| res.iter().filter(|(_, c)| f(c)).count() as u32;
    let storage = count(|c| matches!(c, Class::Storage { .. }));
    let storage_tex = count(|c| matches!(c, Class::Texture { storage: true }));
    let sampled = count(|c| matches!(c, Class::Texture { storage: false }));
    let uniforms = count(|c| matches!(c, Class::Uniform));
    for (n, max, what) in [
        (
            storage,
            l.max_storage_buffers_per_shader_stage,
            "max_storage_buffers_per_shader_stage",
        ),
        (
            storage_tex,
            l.max_storage_textures_per_shader_stage,
            "max_storage_textures_per_shader_stage",
        ),
        (
            sampled,
            l.max_sampled_textures_per_shader_stage,
            "max_sampled_textures_per_shader_stage",
        ),
        (
            uniforms,
            l.max_uniform_buffers_per_shader_stage,
            "max_uniform_buffers_per_shader_stage",
        ),
    ] {
        if n > max {
            errs.push(format!("{n} bindings over {what} {max}"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

/// WebGPU's default limits, as wgpu defines them.
fn wgpu_default_limits() -> wgpu::Limits {
    wgpu::Limits::default()
}

#[test]
fn every_shader_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".wgsl"))
        .collect();
    let listed: BTreeSet<String> = ALL.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(
        ALL.len(),
        listed.len(),
        "a shader is listed twice in shaders::ALL"
    );
    let missing: Vec<_> = files.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "shaders not in gpu::shaders::ALL: {missing:?}"
    );
    for (s, _, _) in OVERRIDES {
        assert!(listed.contains(*s), "OVERRIDES names an unknown shader {s}");
    }
}

#[test]
fn every_shader_translates_to_spirv_msl_hlsl_glsl() {
    let mut failures = Vec::new();
    let mut needs_subgroups = BTreeSet::new();
    let mut translations = 0;
    for shader in ALL {
        let module = match naga::front::wgsl::parse_str(shader.source) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!(
                    "{}: WGSL parse: {}",
                    shader.name,
                    e.emit_to_string(shader.source)
                ));
                continue;
            }
        };
        let (info, caps) = match validate(&module, Capabilities::empty()) {
            Ok(info) => (info, Capabilities::empty()),
            Err(plain) => match validate(&module, Capabilities::SUBGROUP) {
                Ok(info) => {
                    needs_subgroups.insert(shader.name);
                    (info, Capabilities::SUBGROUP)
                }
                Err(_) => {
                    failures.push(format!("{}: validation: {plain}", shader.name));
                    continue;
                }
            },
        };
        let entries: Vec<String> = module
            .entry_points
            .iter()
            .filter(|e| e.stage == ShaderStage::Compute)
            .map(|e| e.name.clone())
            .collect();
        assert!(
            !entries.is_empty(),
            "{}: no compute entry point",
            shader.name
        );
        for constants in override_sets(shader) {
            for entry in &entries {
                let what = format!("{} {entry} {:?}", shader.name, constants);
                let (m, i) = match naga::back::pipeline_constants::process_overrides(
                    &module,
                    &info,
                    Some((ShaderStage::Compute, entry)),
                    &constants,
                ) {
                    Ok(x) => x,
                    Err(e) => {
                        failures.push(format!("{what}: overrides: {e}"));
                        continue;
                    }
                };
                // The processed module is validated again, as wgpu-core does before the back end.
                if let Err(e) = validate(&m, caps) {
                    failures.push(format!("{what}: after overrides: {e}"));
                    continue;
                }
                if let Some(ep) = m.entry_points.iter().find(|e| e.name == *entry) {
                    if let Err(e) = within_default_limits(shader.name, &m, ep) {
                        failures.push(format!("{what}: WebGPU default limits: {e}"));
                    }
                }
                let results = [
                    ("SPIR-V 1.3", to_spirv(&m, &i, entry).map(|_| String::new())),
                    ("MSL 2.1", to_msl(&m, &i, entry)),
                    ("HLSL SM 6.0", to_hlsl(&m, &i, entry)),
                    ("GLSL ES 3.10", to_glsl(&m, &i, entry)),
                ];
                for (backend, r) in results {
                    translations += 1;
                    match r {
                        Err(e) => failures.push(format!("{what}: {backend}: {e}")),
                        // GLSL names the one entry point `main`.
                        Ok(src)
                            if backend != "SPIR-V 1.3"
                                && !src.contains(entry.as_str())
                                && !src.contains("void main()") =>
                        {
                            failures.push(format!("{what}: {backend}: entry point missing"))
                        }
                        Ok(_) => {}
                    }
                }
            }
        }
    }
    println!(
        "{} shaders, {translations} translations, {} failures",
        ALL.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let want: BTreeSet<&str> = SUBGROUP_SHADERS.iter().copied().collect();
    assert_eq!(
        needs_subgroups, want,
        "the shaders that need subgroups changed: check that their launchers pick them only \
         where subgroups of >= 8 lanes exist, and update SUBGROUP_SHADERS"
    );
}

/// src/gpu/params.rs (generated by tools/gen_params.py) mirrors every shader: the uniform `p`
/// is a `Params` struct whose members have the Rust struct's names, in order, at its offsets,
/// and the entry-point constants are exactly the shader's entry points.
#[test]
fn kernel_param_structs_match_the_shaders() {
    use sralign::gpu::params::{ALL as PARAMS, ENTRIES};
    let mut problems = Vec::new();
    for shader in ALL {
        let module = naga::front::wgsl::parse_str(shader.source).expect("parses");
        let Some((_, fields, offsets, size)) = PARAMS.iter().find(|(f, _, _, _)| *f == shader.name)
        else {
            problems.push(format!("{}: no parameter struct", shader.name));
            continue;
        };
        let uniform = module
            .global_variables
            .iter()
            .find(|(_, v)| v.space == AddressSpace::Uniform);
        let members = uniform.and_then(|(_, v)| match &module.types[v.ty].inner {
            TypeInner::Struct { members, span } => Some((members.clone(), *span)),
            _ => None,
        });
        let Some((members, span)) = members else {
            problems.push(format!("{}: no uniform struct", shader.name));
            continue;
        };
        let names: Vec<&str> = members
            .iter()
            .map(|m| m.name.as_deref().unwrap_or(""))
            .collect();
        let wgsl_offsets: Vec<usize> = members.iter().map(|m| m.offset as usize).collect();
        let offsets_ok = wgsl_offsets == *offsets;
        if names != *fields || !offsets_ok || span as usize != *size {
            problems.push(format!(
                "{}: WGSL Params {names:?} ({span} bytes) vs Rust {fields:?} ({size} bytes)",
                shader.name
            ));
        }
        let mut wgsl: Vec<&str> = module
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let mut rust: Vec<&str> = ENTRIES
            .iter()
            .filter(|(f, _)| *f == shader.name)
            .map(|(_, e)| *e)
            .collect();
        wgsl.sort();
        rust.sort();
        if wgsl != rust {
            problems.push(format!(
                "{}: entry points {wgsl:?}, constants {rust:?}",
                shader.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "run `python3 tools/gen_params.py`:\n{}",
        problems.join("\n")
    );
}
