//! Texture pool: 2-D (array) textures keyed by (width, height, layers, format) and reused on
//! drop, like the buffer pool. Kernels on software rasterisers (lavapipe) read operands much
//! faster through `textureLoad` (one vectorised fetch of 4 floats) than through storage
//! buffers, so layout-conversion kernels write operands into these as storage textures.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

type Key = (u32, u32, u32, wgpu::TextureFormat);

/// A free texture keeps its view, so a reused texture binds the same view as before and the
/// recorder's bind group cache (keyed by view identity) hits.
#[derive(Default)]
pub(crate) struct TexturePool {
    free: HashMap<(Key, bool), Vec<(wgpu::Texture, wgpu::TextureView)>>,
    pub(crate) created: u64,
}

/// A texture on loan from the pool, with a view of all its layers.
pub struct PooledTexture {
    tex: Option<wgpu::Texture>,
    view: wgpu::TextureView,
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
                .push((t, self.view.clone()));
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
        .and_then(|v| v.pop());
    if let Some((tex, view)) = reuse {
        return PooledTexture {
            tex: Some(tex),
            view,
            key,
            array_view,
            pool: Rc::downgrade(pool),
        };
    }
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
        key,
        array_view,
        pool: Rc::downgrade(pool),
    }
}
