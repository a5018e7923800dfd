//! Explicit bind group layouts, derived once per shader file from its WGSL with naga.
//!
//! wgpu's automatic layouts cannot declare a dynamic offset, and the recorder needs one: every
//! dispatch reads its parameters from its own slot of the uniform arena at binding 0, so with
//! a dynamic offset the bind group of a launch depends only on the storage buffers and textures
//! it binds, and a launch whose bindings repeat (pooled buffers are reused step after step)
//! reuses its bind group. Every binding of a file is declared for every entry point of it
//! (the registry's convention), so one layout per file serves all its pipelines.

use std::num::NonZeroU64;

use crate::error::{Error, Result};

/// The layout entries of group 0 of `source`: binding 0 is the uniform block, with a dynamic
/// offset and `slot` bytes; the rest as the shader declares them.
pub(crate) fn entries(
    name: &str,
    source: &str,
    slot: u64,
) -> Result<Vec<wgpu::BindGroupLayoutEntry>> {
    let err = |detail: String| Error::Unsupported {
        op: name.to_string(),
        detail,
    };
    let module = naga::front::wgsl::parse_str(source).map_err(|e| err(e.emit_to_string(source)))?;
    let mut out = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(rb) = &var.binding else { continue };
        if rb.group != 0 {
            return Err(err(format!(
                "binding in group {} (only group 0 is used)",
                rb.group
            )));
        }
        let ty = match (&var.space, &module.types[var.ty].inner) {
            (naga::AddressSpace::Uniform, _) => wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: NonZeroU64::new(slot),
            },
            (naga::AddressSpace::Storage { access }, _) => wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage {
                    read_only: !access.contains(naga::StorageAccess::STORE),
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            (
                naga::AddressSpace::Handle,
                naga::TypeInner::Image {
                    dim,
                    arrayed,
                    class,
                },
            ) => {
                let view_dimension = match (dim, arrayed) {
                    (naga::ImageDimension::D2, false) => wgpu::TextureViewDimension::D2,
                    (naga::ImageDimension::D2, true) => wgpu::TextureViewDimension::D2Array,
                    _ => return Err(err(format!("texture binding {} is not 2-D", rb.binding))),
                };
                match class {
                    naga::ImageClass::Sampled { multi: false, .. } => wgpu::BindingType::Texture {
                        // textureLoad only: unfilterable, so rgba32float views bind.
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension,
                        multisampled: false,
                    },
                    naga::ImageClass::Storage { format, access } => {
                        let format = match format {
                            naga::StorageFormat::Rgba32Float => wgpu::TextureFormat::Rgba32Float,
                            naga::StorageFormat::R32Float => wgpu::TextureFormat::R32Float,
                            other => return Err(err(format!("storage texture format {other:?}"))),
                        };
                        let access = if access.contains(naga::StorageAccess::LOAD) {
                            wgpu::StorageTextureAccess::ReadWrite
                        } else {
                            wgpu::StorageTextureAccess::WriteOnly
                        };
                        wgpu::BindingType::StorageTexture {
                            access,
                            format,
                            view_dimension,
                        }
                    }
                    other => return Err(err(format!("texture class {other:?}"))),
                }
            }
            (space, _) => {
                return Err(err(format!(
                    "binding {} in address space {space:?}",
                    rb.binding
                )))
            }
        };
        out.push(wgpu::BindGroupLayoutEntry {
            binding: rb.binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty,
            count: None,
        });
    }
    out.sort_by_key(|e| e.binding);
    Ok(out)
}
