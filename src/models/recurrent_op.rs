//! Whole-sequence recurrent layers as single autodiff operations (burn backend extension).
//!
//! Why: see [`super::lstm_seq`]. burn's `#[backend_extension]` lets a custom op run on the
//! concrete backend and register one handwritten backward step with `Autodiff`. The ops
//! are implemented for the Flex CPU backend (host slices); on any other backend (CUDA)
//! the callers keep their tensor-op path: [`lstm_sequence`] returns `None` there.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, DispatchDevice, Flex};
use burn::tensor::{DType, Tensor, TensorData};

use super::seq_chunks::Dims;
use super::{gru_seq, lstm_seq};

#[backend_extension(Flex, Autodiff)]
pub(crate) trait RecurrentBackend: Backend {
    /// LSTM over all steps: `xp` `[T, B, 4H]` (input projections with bias, gates
    /// `[i, f, o, g]`), `w_hh` `[H, 4H]` → hidden states `[T, B, H]` (zero initial state).
    fn lstm_sequence(xp: FloatTensor<Self>, w_hh: FloatTensor<Self>) -> FloatTensor<Self>;

    /// GRU (`reset_after`) over all steps: `xp` `[T, B, 3H]` (input projections with bias,
    /// gates `[r, z, n]`), `w_hh` `[H, 3H]`, `b_hh` `[3H]` → hidden states `[T, B, H]`.
    fn gru_sequence(
        xp: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        b_hh: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// LSTM over a time-major sequence as one op; `None` when the tensors are not on Flex/f32.
pub(crate) fn lstm_sequence(xp: Tensor<3>, w_hh: Tensor<2>) -> Option<Tensor<3>> {
    if !on_flex_f32(&xp) {
        return None;
    }
    let out =
        <Dispatch as RecurrentBackend>::lstm_sequence(xp.into_dispatch(), w_hh.into_dispatch());
    Some(Tensor::from_dispatch(out))
}

/// GRU over a time-major sequence as one op; `None` when the tensors are not on Flex/f32.
pub(crate) fn gru_sequence(xp: Tensor<3>, w_hh: Tensor<2>, b_hh: Tensor<1>) -> Option<Tensor<3>> {
    if !on_flex_f32(&xp) {
        return None;
    }
    let out = <Dispatch as RecurrentBackend>::gru_sequence(
        xp.into_dispatch(),
        w_hh.into_dispatch(),
        b_hh.into_dispatch(),
    );
    Some(Tensor::from_dispatch(out))
}

/// Whether the host implementation applies (Flex device, with or without autodiff; f32).
pub fn on_flex_f32<const D: usize>(x: &Tensor<D>) -> bool {
    x.dtype() == DType::F32
        && matches!(
            x.device().as_dispatch().clone().inner(),
            DispatchDevice::Flex(_)
        )
}

/// A Flex tensor's values in row-major order: borrowed when the tensor is contiguous, else
/// one contiguous copy (made by burn-flex's tiled copy, not copied again).
pub(crate) enum Host<'a> {
    Borrowed(&'a [f32]),
    Copied(FlexTensor),
}

impl std::ops::Deref for Host<'_> {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        match self {
            Host::Borrowed(s) => s,
            Host::Copied(t) => t.as_slice::<f32>().expect("a contiguous f32 copy"),
        }
    }
}

impl Host<'_> {
    pub(crate) fn into_owned(self) -> Vec<f32> {
        self.to_vec()
    }
}

/// The values of a Flex tensor in row-major order (no copy when contiguous).
pub(crate) fn host(x: &FlexTensor) -> Host<'_> {
    match x.as_slice::<f32>() {
        Some(s) => Host::Borrowed(s),
        None => Host::Copied(x.to_contiguous()),
    }
}

/// `x` itself when contiguous (a second handle on its storage), else a contiguous copy: for
/// state a backward pass reads, so the copy is made once.
pub(crate) fn contiguous(x: &FlexTensor) -> FlexTensor {
    match x.as_slice::<f32>() {
        Some(_) => x.clone(),
        None => x.to_contiguous(),
    }
}

fn flex(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

fn lstm_dims(xp: &FlexTensor, w: &FlexTensor) -> Dims {
    let xs = xp.layout().shape();
    let ws = w.layout().shape();
    assert_eq!(xs.num_dims(), 3, "xp must be [T, B, 4H]");
    let h = ws[0];
    assert_eq!(ws[1], 4 * h, "w_hh must be [H, 4H]");
    assert_eq!(xs[2], 4 * h, "xp must be [T, B, 4H]");
    Dims {
        t: xs[0],
        b: xs[1],
        h,
    }
}

fn gru_dims(xp: &FlexTensor, w: &FlexTensor, b: &FlexTensor) -> Dims {
    let xs = xp.layout().shape();
    let ws = w.layout().shape();
    assert_eq!(xs.num_dims(), 3, "xp must be [T, B, 3H]");
    let h = ws[0];
    assert_eq!(ws[1], 3 * h, "w_hh must be [H, 3H]");
    assert_eq!(xs[2], 3 * h, "xp must be [T, B, 3H]");
    assert_eq!(
        b.layout().shape().num_elements(),
        3 * h,
        "b_hh must be [3H]"
    );
    Dims {
        t: xs[0],
        b: xs[1],
        h,
    }
}

impl RecurrentBackend for Flex {
    fn lstm_sequence(xp: FlexTensor, w_hh: FlexTensor) -> FlexTensor {
        let dims = lstm_dims(&xp, &w_hh);
        let tape = lstm_seq::forward(&host(&xp), &host(&w_hh), dims);
        flex(tape.out, &[dims.t, dims.b, dims.h])
    }

    fn gru_sequence(xp: FlexTensor, w_hh: FlexTensor, b_hh: FlexTensor) -> FlexTensor {
        let dims = gru_dims(&xp, &w_hh, &b_hh);
        let tape = gru_seq::forward(&host(&xp), &host(&w_hh), &host(&b_hh), dims);
        flex(tape.out, &[dims.t, dims.b, dims.h])
    }
}

/// Saved for the backward pass: the forward tape and the recurrent weights.
#[derive(Debug, Clone)]
pub(crate) struct LstmState {
    tape: Arc<lstm_seq::LstmTape>,
    /// The op's output (shared with the graph, not copied): the backward pass reads it.
    out: FlexTensor,
    w: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct LstmSequenceBackward;

impl Backward<Flex, 2> for LstmSequenceBackward {
    type State = LstmState;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_xp, node_w] = ops.parents;
        let dout = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let Dims { t, b, h } = state.tape.dims;
        let (dxp, dw) = lstm_seq::backward(&state.tape, &host(&state.out), &state.w, &host(&dout));
        if let Some(node) = node_xp {
            grads.register::<Flex>(node.id, flex(dxp, &[t, b, 4 * h]));
        }
        if let Some(node) = node_w {
            grads.register::<Flex>(node.id, flex(dw, &[h, 4 * h]));
        }
    }
}

/// Saved for the GRU backward pass.
#[derive(Debug, Clone)]
pub(crate) struct GruState {
    tape: Arc<gru_seq::GruTape>,
    out: FlexTensor,
    w: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct GruSequenceBackward;

impl Backward<Flex, 3> for GruSequenceBackward {
    type State = GruState;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_xp, node_w, node_b] = ops.parents;
        let dout = grads.consume::<Flex>(&ops.node);
        let state = ops.state;
        let Dims { t, b, h } = state.tape.dims;
        let (dxp, dw, db) =
            gru_seq::backward(&state.tape, &host(&state.out), &state.w, &host(&dout));
        if let Some(node) = node_xp {
            grads.register::<Flex>(node.id, flex(dxp, &[t, b, 3 * h]));
        }
        if let Some(node) = node_w {
            grads.register::<Flex>(node.id, flex(dw, &[h, 3 * h]));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, flex(db, &[3 * h]));
        }
    }
}

impl<C: CheckpointStrategy> RecurrentBackend for Autodiff<Flex, C> {
    fn gru_sequence(
        xp: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        b_hh: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match GruSequenceBackward
            .prepare::<C>([xp.node(), w_hh.node(), b_hh.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, w, b) = (xp.primitive(), w_hh.primitive(), b_hh.primitive());
                let dims = gru_dims(xp, w, b);
                let w = host(w).into_owned();
                let mut tape = gru_seq::forward(&host(xp), &w, &host(b), dims);
                let out = flex(std::mem::take(&mut tape.out), &[dims.t, dims.b, dims.h]);
                let state = GruState {
                    tape: Arc::new(tape),
                    out: out.clone(),
                    w: Arc::new(w),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(<Flex as RecurrentBackend>::gru_sequence(
                xp.into_primitive(),
                w_hh.into_primitive(),
                b_hh.into_primitive(),
            )),
        }
    }

    fn lstm_sequence(xp: FloatTensor<Self>, w_hh: FloatTensor<Self>) -> FloatTensor<Self> {
        match LstmSequenceBackward
            .prepare::<C>([xp.node(), w_hh.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, w) = (xp.primitive(), w_hh.primitive());
                let dims = lstm_dims(xp, w);
                let w = host(w).into_owned();
                let mut tape = lstm_seq::forward(&host(xp), &w, dims);
                let out = flex(std::mem::take(&mut tape.out), &[dims.t, dims.b, dims.h]);
                let state = LstmState {
                    tape: Arc::new(tape),
                    out: out.clone(),
                    w: Arc::new(w),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(<Flex as RecurrentBackend>::lstm_sequence(
                xp.into_primitive(),
                w_hh.into_primitive(),
            )),
        }
    }
}
