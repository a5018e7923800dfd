//! Texture pool: 2-D (array) textures keyed by (width, height, layers, format) and reused on
//! drop, like the buffer pool. Kernels on software rasterisers (lavapipe) read operands much
//! faster through `textureLoad` (one vectorised fetch of 4 floats) than through storage
//! buffers, so layout-conversion kernels write operands into these as storage textures.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::{Rc, Weak};

type Key = (u32, u32, u32, wgpu::TextureFormat);

/// A free texture keeps its view, so a reused texture binds the same view as before and the
/// recorder's bind group cache (keyed by view identity) hits. As in the buffer pool, a free
/// list hands out its oldest texture (lowest creation serial), so a step gets the same
/// textures every step.
#[derive(Default)]
pub(crate) struct TexturePool {
    free: HashMap<(Key, bool), BTreeMap<u64, (wgpu::Texture, wgpu::TextureView)>>,
    pub(crate) created: u64,
}

/// A texture on loan from the pool, with a view of all its layers.
pub struct PooledTexture {
    tex: Option<wgpu::Texture>,
    view: wgpu::TextureView,
    serial: u64,
    key: Key,
    array_view: bool,
    pool: Weak<RefCell<TexturePool>>,
}

impl PooledTexture {
    pub fn texture(&self) -> &wgpu::Texture {
        self.tex.as_ref().expect("texture present until drop")
    }
    /// A view of every layer (`texture_2d_array` when layers > 1, else `texture_2d`).
    pub fn view(&self) -> &wgpu::TextureView {
        &self.view
    }
    pub fn size(&self) -> (u32, u32, u32) {
        (self.key.0, self.key.1, self.key.2)
    }
}

impl Drop for PooledTexture {
    fn drop(&mut self) {
        if let (Some(t), Some(pool)) = (self.tex.take(), self.pool.upgrade()) {
            pool.borrow_mut()
                .free
                .entry((self.key, self.array_view))
                .or_default()
                .insert(self.serial, (t, self.view.clone()));
        }
    }
}

pub(crate) fn alloc(
    pool: &Rc<RefCell<TexturePool>>,
    device: &wgpu::Device,
    key: Key,
    array_view: bool,
) -> PooledTexture {
    let reuse = pool
        .borrow_mut()
        .free
        .get_mut(&(key, array_view))
        .and_then(|v| v.pop_first());
    if let Some((serial, (tex, view))) = reuse {
        return PooledTexture {
            tex: Some(tex),
            view,
            serial,
            key,
            array_view,
            pool: Rc::downgrade(pool),
        };
    }
    let serial = pool.borrow().created;
    let tex = {
        pool.borrow_mut().created += 1;
        device.create_texture(&wgpu::TextureDescriptor {
            label: Some("pooled texture"),
            size: wgpu::Extent3d {
                width: key.0,
                height: key.1,
                depth_or_array_layers: key.2,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: key.3,
            usage: wgpu::TextureUsages::STORAGE_BINDING
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    };
    let view = tex.create_view(&wgpu::TextureViewDescriptor {
        dimension: Some(if array_view {
            wgpu::TextureViewDimension::D2Array
        } else {
            wgpu::TextureViewDimension::D2
        }),
        ..Default::default()
    });
    PooledTexture {
        tex: Some(tex),
        view,
        serial,
        key,
        array_view,
        pool: Rc::downgrade(pool),
    }
}

/// Texels per row of a linear texture (a power of two: kernels split a texel index with a
/// shift and a mask).
pub const LINEAR_TW: usize = 4096;
/// Rows per layer of a linear texture (a power of two; WebGPU's default limits allow 8192).
pub const LINEAR_TH: usize = 4096;

/// (width, height, layers) of a linear texture holding `texels` texels: texel i sits at
/// (i % LINEAR_TW, (i / LINEAR_TW) % LINEAR_TH) of layer i / (LINEAR_TW * LINEAR_TH).
/// A tensor whose element count is a multiple of 4 reaches such a texture by a plain
/// buffer-to-texture copy (`Gpu::copy_to_linear_texture`, rows of 64 KiB satisfy the copy
/// alignment), which on lavapipe is a memcpy where a packing kernel stores texel by texel.
pub fn linear_dims(texels: usize) -> (usize, usize, usize) {
    let rows = texels.div_ceil(LINEAR_TW).max(1);
    (
        texels.clamp(1, LINEAR_TW),
        rows.min(LINEAR_TH),
        rows.div_ceil(LINEAR_TH),
    )
}

impl super::Gpu {
    /// True when this adapter can hold a linear texture of `texels` texels.
    pub fn linear_texture_fits(&self, texels: usize) -> bool {
        let l = self.limits();
        let (w, h, layers) = linear_dims(texels);
        w.max(h) <= l.max_texture_dimension_2d as usize
            && layers <= l.max_texture_array_layers as usize
    }

    /// A pooled rgba32float linear texture of at least `texels` texels (`linear_dims`), with
    /// a `texture_2d_array` view; a Limit error naming `op` where the adapter cannot hold it.
    pub fn alloc_linear_texture(&self, op: &str, texels: usize) -> crate::Result<PooledTexture> {
        let (w, h, layers) = linear_dims(texels);
        self.alloc_texture_view(
            op,
            w as u32,
            h as u32,
            layers as u32,
            wgpu::TextureFormat::Rgba32Float,
            true,
        )
    }

    /// Record, in stream order with the dispatches around it, copying `texels` texels (16
    /// bytes each) of `src` from byte `src_off` (a multiple of 16) into the linear texture
    /// `dst` (see `linear_dims`) from texel `at` on.
    pub fn copy_to_linear_texture(
        &self,
        src: &wgpu::Buffer,
        src_off: u64,
        texels: usize,
        dst: &wgpu::Texture,
        at: usize,
    ) {
        let mut rec = self.0.recorder.borrow_mut();
        let mut done = 0;
        while done < texels {
            let i = at + done;
            let (x, row) = (i % LINEAR_TW, i / LINEAR_TW);
            let (y, layer) = (row % LINEAR_TH, row / LINEAR_TH);
            let left = texels - done;
            // A partial row (a start or an end off the row boundary), else whole rows up to
            // the end of the layer.
            let (w, h) = if x > 0 || left < LINEAR_TW {
                ((LINEAR_TW - x).min(left), 1)
            } else {
                (LINEAR_TW, (left / LINEAR_TW).min(LINEAR_TH - y))
            };
            rec.copy_to_texture(
                &self.0.device,
                wgpu::TexelCopyBufferInfo {
                    buffer: src,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: src_off + 16 * done as u64,
                        bytes_per_row: Some(16 * LINEAR_TW as u32),
                        rows_per_image: None,
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture: dst,
                    mip_level: 0,
                    origin: wgpu::Origin3d {
                        x: x as u32,
                        y: y as u32,
                        z: layer as u32,
                    },
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::Extent3d {
                    width: w as u32,
                    height: h as u32,
                    depth_or_array_layers: 1,
                },
            );
            done += w * h;
        }
    }
}
