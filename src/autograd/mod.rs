//! Reverse-mode autodiff: a tape (Wengert list) of op nodes, one per thread, and `backward`.
//!
//! An op that has an input requiring a gradient records a node holding its backward rule: a
//! closure that owns exactly the tensors it needs (its saved state) and, given the gradient of
//! the op's output and which inputs need gradients, returns one optional gradient per input.
//! `backward` walks the tape in reverse, accumulates gradients out of place in a fixed order
//! (no atomics: bit-identical across runs), frees each node as soon as it has run, and leaves
//! the tape empty.
//!
//! This layer knows tensors and the device; the ops that record nodes live above it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::error::{shape_err, Result};
use crate::gpu::{shaders, Bind, Launch};
use crate::tensor::{for_each_binding_range, grid_for, Tensor};

/// The backward rule of one node: (dout, which inputs need a gradient) -> per-input gradients.
pub type BackwardFn = Box<dyn FnOnce(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>>;

/// A backward rule that sums its gradients onto the ones the tape already holds:
/// (dout, which inputs need a gradient, the held gradient of each input that has one) ->
/// per-input totals. One pass instead of a gradient and a separate accumulation.
pub type AccumulatingBackwardFn =
    Box<dyn FnOnce(&Tensor, &[bool], Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>>>;

enum Rule {
    Plain(BackwardFn),
    Accumulating(AccumulatingBackwardFn),
}

struct Node {
    name: &'static str,
    out: u64,
    out_shape: Vec<usize>,
    inputs: Vec<(u64, bool, Vec<usize>)>,
    backward: Rule,
}

thread_local! {
    static TAPE: RefCell<Vec<Node>> = const { RefCell::new(Vec::new()) };
    static ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// True when ops record onto the tape (false inside `no_grad`).
pub fn is_recording() -> bool {
    ENABLED.with(|e| e.get())
}

/// Number of nodes on this thread's tape.
pub fn tape_len() -> usize {
    TAPE.with(|t| t.borrow().len())
}

/// Drop every recorded node (and the tensors they saved) without running them.
pub fn clear_tape() {
    let nodes = TAPE.with(|t| std::mem::take(&mut *t.borrow_mut()));
    drop(nodes);
}

/// While the guard lives, ops record nothing (evaluation, EMA updates, metrics).
pub struct NoGrad(bool);
pub fn no_grad() -> NoGrad {
    NoGrad(ENABLED.with(|e| e.replace(false)))
}
impl Drop for NoGrad {
    fn drop(&mut self) {
        ENABLED.with(|e| e.set(self.0));
    }
}

/// Record `out = op(inputs)` if any input requires a gradient. The backward closure must
/// return one entry per input (None where no gradient is needed or defined).
pub fn record(
    name: &'static str,
    inputs: &[&Tensor],
    out: &Tensor,
    backward: impl FnOnce(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) {
    push(name, inputs, out, Rule::Plain(Box::new(backward)));
}

/// Like `record`, for a rule that adds its gradients onto the gradients already held (given
/// to it as its third argument, `None` where there is none yet) and returns the totals. An
/// input listed twice gets the held gradient at its first position only.
pub fn record_accumulating(
    name: &'static str,
    inputs: &[&Tensor],
    out: &Tensor,
    backward: impl FnOnce(&Tensor, &[bool], Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>>
        + 'static,
) {
    push(name, inputs, out, Rule::Accumulating(Box::new(backward)));
}

fn push(name: &'static str, inputs: &[&Tensor], out: &Tensor, backward: Rule) {
    if !is_recording() || !inputs.iter().any(|t| t.requires_grad()) {
        return;
    }
    out.set_requires_grad(true);
    let node = Node {
        name,
        out: out.id(),
        out_shape: out.shape().to_vec(),
        inputs: inputs
            .iter()
            .map(|t| (t.id(), t.requires_grad(), t.shape().to_vec()))
            .collect(),
        backward,
    };
    TAPE.with(|t| t.borrow_mut().push(node));
}

/// Gradients of leaves (tensors marked `set_requires_grad(true)` by the user).
#[derive(Default)]
pub struct Grads(HashMap<u64, Tensor>);

impl Grads {
    pub fn get(&self, t: &Tensor) -> Option<&Tensor> {
        self.0.get(&t.id())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// out = a + b, in launches of at most one storage binding each (how the tape sums the
/// gradients of an input used more than once).
pub(crate) fn accumulate(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let gpu = a.gpu();
    let out = Tensor::empty(gpu, "accumulate_grad", a.shape())?;
    // Pool buffers are 256-byte multiples, so rounding up to 16 bytes stays inside them; the
    // padding lanes compute values nothing reads.
    let total = (a.numel() as u64 * 4).div_ceil(16) * 16;
    for_each_binding_range(gpu, total, |off, size| {
        let n4 = size / 16;
        gpu.launch(Launch {
            op: "accumulate_grad",
            shapes: &[a.shape(), b.shape()],
            shader: &shaders::ACCUMULATE,
            entry: crate::gpu::params::entry::ACCUMULATE,
            overrides: &[],
            params: crate::gpu::params::KernelParams::words(
                &crate::gpu::params::AccumulateParams { n4: n4 as u32 },
            ),
            binds: &[
                Bind::Buffer {
                    buffer: out.buffer(),
                    offset: off,
                    size,
                },
                Bind::Buffer {
                    buffer: a.buffer(),
                    offset: off,
                    size,
                },
                Bind::Buffer {
                    buffer: b.buffer(),
                    offset: off,
                    size,
                },
            ],
            workgroups: grid_for(gpu, n4 as usize, 256),
        })
    })?;
    Ok(out)
}

/// Backpropagate from a scalar (one-element) loss.
pub fn backward(loss: &Tensor) -> Result<Grads> {
    if loss.numel() != 1 {
        clear_tape();
        return Err(shape_err(
            "backward",
            &[loss.shape()],
            "the loss must have one element",
        ));
    }
    let seed = Tensor::full(loss.gpu(), loss.shape(), 1.0)?;
    backward_with(loss, &seed)
}

/// Backpropagate a given output gradient `dout` (same shape as `out`).
pub fn backward_with(out: &Tensor, dout: &Tensor) -> Result<Grads> {
    let mut nodes = TAPE.with(|t| std::mem::take(&mut *t.borrow_mut()));
    if out.shape() != dout.shape() {
        return Err(shape_err(
            "backward",
            &[out.shape(), dout.shape()],
            "dout must match out",
        ));
    }
    let mut grads: HashMap<u64, Tensor> = HashMap::new();
    grads.insert(out.id(), dout.clone());
    while let Some(node) = nodes.pop() {
        let Some(g) = grads.remove(&node.out) else {
            continue;
        };
        if g.shape() != node.out_shape.as_slice() {
            return Err(shape_err(
                node.name,
                &[g.shape(), &node.out_shape],
                "gradient shape",
            ));
        }
        let needs: Vec<bool> = node.inputs.iter().map(|(_, r, _)| *r).collect();
        // Inputs whose held gradient went to an accumulating rule: its result replaces it.
        let mut totals = vec![false; needs.len()];
        let ins = match node.backward {
            Rule::Plain(f) => f(&g, &needs)?,
            Rule::Accumulating(f) => {
                let mut held = Vec::with_capacity(needs.len());
                for (i, (id, needed, _)) in node.inputs.iter().enumerate() {
                    let first = node.inputs[..i].iter().all(|(o, _, _)| o != id);
                    totals[i] = *needed && first;
                    held.push(if totals[i] { grads.remove(id) } else { None });
                }
                f(&g, &needs, held)?
            }
        };
        if ins.len() != node.inputs.len() {
            return Err(shape_err(
                node.name,
                &[],
                "backward returned a wrong number of gradients",
            ));
        }
        for (((id, needed, shape), gi), total) in node.inputs.iter().zip(ins).zip(totals) {
            let (true, Some(gi)) = (*needed, gi) else {
                continue;
            };
            if gi.shape() != shape.as_slice() {
                return Err(shape_err(
                    node.name,
                    &[gi.shape(), shape],
                    "input gradient shape",
                ));
            }
            let merged = match grads.remove(id) {
                Some(prev) if !total => accumulate(&prev, &gi)?,
                _ => gi,
            };
            grads.insert(*id, merged);
        }
    }
    grads.remove(&out.id());
    Ok(Grads(grads))
}
