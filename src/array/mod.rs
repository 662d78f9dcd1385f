//! The user-facing lazy [`Array`]: every method builds a graph node after checking shapes.

mod convert;
mod creation;
pub mod display;
mod gather;
pub mod index;
pub mod io;
pub mod linalg;
mod math;
mod movement;
#[cfg(feature = "ndarray")]
pub mod ndarray_interop;
pub mod npz;
mod ops;
pub mod random;
mod reduce;
#[cfg(feature = "safetensors")]
pub mod safetensors_io;
mod update;

pub use convert::Iter;
pub use creation::{
    IntoArrayData, arange, array, eye, full, linspace, ones, scalar, try_arange, try_eye, try_full,
    try_linspace, try_zeros, zeros, zeros_like,
};
pub use gather::{
    argwhere, put_along_axis, take_along_axis, try_put_along_axis, try_take_along_axis,
};
pub use math::{maximum, minimum, where_};
pub use movement::{SliceArg, SliceInfo, concatenate, split, stack, try_concatenate};
pub use ops::{ArrayOrScalar, IntoScalar};
pub use reduce::Axes;
pub use update::{
    At, Selection, add_at, can_cast_same_kind, maximum_at, minimum_at, multiply_at, subtract_at,
    try_add_at, try_maximum_at, try_minimum_at, try_multiply_at, try_subtract_at,
};

use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::eval::EvalOptions;
use crate::ir::{Node, NodeRef, Op};
use crate::runtime::Buffer;
use crate::shape::{Shape, View};
use std::sync::Arc;

/// A lazy n-dimensional array: a cheap-to-clone handle to a node of the computation graph.
///
/// Building an `Array` never computes anything; [`Array::eval`], [`Array::to_vec`],
/// [`Array::item`], printing and saving do. Shapes and dtypes are known (and checked) when the
/// array is built.
///
/// ```
/// use lazynp as np;
/// let x = np::array([[1i64, 2, 3], [4, 5, 6]]);
/// let b = np::array([10i64, 20, 30]);
/// let y = &x + &b;                       // nothing computed yet
/// assert_eq!(y.shape(), &[2, 3]);
/// assert_eq!(y.to_vec::<i64>()?, vec![11, 22, 33, 14, 25, 36]);
/// # Ok::<(), np::Error>(())
/// ```
#[derive(Clone)]
pub struct Array(pub(crate) NodeRef);

/// Panics with the error's message at the caller's line (operators and shape-checked builders).
#[track_caller]
pub(crate) fn ok<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

impl Array {
    pub(crate) fn node(&self) -> &NodeRef {
        &self.0
    }

    /// Builds a pending node with the given inputs. Panics (at the caller, with NumPy's
    /// message) if the shape has more than 64 dimensions or its byte size overflows `isize`:
    /// builders that can produce such a shape from valid inputs check it first with
    /// [`crate::shape::check_shape`] in their `try_` twin; this is the backstop that keeps every
    /// node's size arithmetic in range.
    #[track_caller]
    pub(crate) fn build(op: Op, dtype: DType, shape: Vec<usize>, inputs: &[&Array]) -> Array {
        Array(Node::new(
            op,
            dtype,
            shape,
            inputs.iter().map(|a| a.0.clone()).collect(),
        ))
    }

    /// An array holding `buffer` with `shape` (sizes must agree).
    pub(crate) fn from_buffer(buffer: Buffer, shape: impl Into<Shape>) -> Result<Array> {
        let shape = shape.into().0;
        if buffer.len() != crate::shape::check_shape(&shape, buffer.dtype().size())? {
            return Err(Error::DataLength {
                len: buffer.len(),
                shape,
            });
        }
        Ok(Array(Node::data(buffer, shape)))
    }

    /// The array's shape, e.g. `&[2, 3]`.
    ///
    /// ```
    /// let x = lazynp::zeros([2, 3], lazynp::DType::F32);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    /// Number of dimensions.
    ///
    /// ```
    /// assert_eq!(lazynp::scalar(1.0f64).ndim(), 0);
    /// ```
    pub fn ndim(&self) -> usize {
        self.0.shape.len()
    }

    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(lazynp::zeros([2, 3], lazynp::DType::F32).size(), 6);
    /// ```
    pub fn size(&self) -> usize {
        self.0.size()
    }

    /// Element type.
    ///
    /// ```
    /// assert_eq!(lazynp::array([1.0f32]).dtype(), lazynp::DType::F32);
    /// ```
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Length of the first dimension (Python's `len(x)`); panics on a 0-d array.
    ///
    /// ```
    /// assert_eq!(lazynp::zeros([5, 2], lazynp::DType::F64).len(), 5);
    /// ```
    #[track_caller]
    pub fn len(&self) -> usize {
        match self.shape().first() {
            Some(&n) => n,
            None => panic!("len() of unsized object"),
        }
    }

    /// True if the array has no elements.
    ///
    /// ```
    /// assert!(lazynp::zeros([0, 3], lazynp::DType::F64).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// True if the array already holds its data (a leaf or an evaluated node).
    ///
    /// ```
    /// let a = lazynp::array([1.0f64]);
    /// let b = &a + 1.0;
    /// assert!(a.is_realized() && !b.is_realized());
    /// ```
    pub fn is_realized(&self) -> bool {
        self.0.is_realized()
    }

    /// Evaluates the array (fused JIT by default) and returns a handle to the same node, now
    /// holding its data. Every clone of this handle sees the result.
    ///
    /// ```
    /// let a = lazynp::array([1.0f64, 2.0]);
    /// let b = (&a * 2.0).eval()?;
    /// assert!(b.is_realized());
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn eval(&self) -> Result<Array> {
        self.eval_with(&EvalOptions::default())
    }

    /// Evaluates with explicit options (interpreter, eager, fused, threads).
    ///
    /// ```
    /// use lazynp::EvalOptions;
    /// let a = lazynp::array([1.0f64, 2.0]);
    /// let y = (&a + 1.0).eval_with(&EvalOptions::interpreter())?;
    /// assert_eq!(y.to_vec::<f64>()?, vec![2.0, 3.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn eval_with(&self, opts: &EvalOptions) -> Result<Array> {
        crate::eval::evaluate(std::slice::from_ref(&self.0), opts)?;
        Ok(self.clone())
    }

    /// The C-order elements of the evaluated array.
    pub(crate) fn buffer(&self) -> Result<Arc<Buffer>> {
        if let Some(b) = self.0.buffer() {
            return Ok(b);
        }
        self.eval()?;
        Ok(self.0.buffer().expect("evaluation realises the root node"))
    }

    /// Evaluates and copies the elements out in C order; `Err` if `T` is not the dtype.
    ///
    /// ```
    /// let a = lazynp::array([[1i32, 2], [3, 4]]);
    /// assert_eq!(a.t().to_vec::<i32>()?, vec![1, 3, 2, 4]);
    /// assert!(a.to_vec::<f32>().is_err());
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DTypeMismatch {
                actual: self.dtype(),
                requested: T::DTYPE,
            });
        }
        Ok(self.buffer()?.as_slice::<T>().to_vec())
    }

    /// The single element of a size-1 array, converted to `T` with `astype` semantics.
    ///
    /// ```
    /// let s: f64 = lazynp::array([1.0f32, 2.0, 3.5]).sum(..).item()?;
    /// assert_eq!(s, 6.5);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn item<T: Element>(&self) -> Result<T> {
        if self.size() != 1 {
            return Err(Error::NotScalar);
        }
        Ok(T::from_scalar(self.buffer()?.get(0)))
    }

    /// The single element as a [`Scalar`].
    pub fn item_scalar(&self) -> Result<Scalar> {
        if self.size() != 1 {
            return Err(Error::NotScalar);
        }
        Ok(self.buffer()?.get(0))
    }

    /// Text dump of the graph that computes this array, one node per line.
    ///
    /// ```
    /// let a = lazynp::array([1.0f32, 2.0]);
    /// let d = (&a + 1.0).dump_graph();
    /// assert!(d.contains("add float32(2,)"));
    /// ```
    pub fn dump_graph(&self) -> String {
        crate::ir::dump::text(&crate::ir::Graph::lower(std::slice::from_ref(&self.0)))
    }

    /// Graphviz DOT of the graph that computes this array, with fused kernels as clusters.
    ///
    /// ```
    /// let a = lazynp::array([1.0f32, 2.0]);
    /// assert!((&a * &a).to_dot().starts_with("digraph"));
    /// ```
    pub fn to_dot(&self) -> String {
        let g = crate::ir::Graph::lower(std::slice::from_ref(&self.0));
        let clusters = crate::passes::kernel_clusters(&g);
        crate::ir::dump::dot(&g, &clusters)
    }

    /// What evaluation would do, as text: the graph, the fusion plan (kernels, the nodes each
    /// contains, loop nests, bytes moved, FLOPs, why each buffer is stored), every kernel's
    /// Kernel IR and Cranelift IR. Deterministic, so tests can pin it. Evaluates nothing.
    ///
    /// ```
    /// let x = lazynp::array([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let y = (&x * &x).sum(1);
    /// let text = y.explain();
    /// assert!(text.contains("1 kernels"));
    /// assert!(text.contains("Cranelift IR"));
    /// ```
    pub fn explain(&self) -> String {
        self.explain_with(&EvalOptions::fused(), false)
    }

    /// [`Array::explain`] for a given mode (fused or eager), optionally with machine code.
    ///
    /// ```
    /// use lazynp::EvalOptions;
    /// let a = lazynp::array([1.0f64, 2.0]);
    /// let y = (&a + 1.0).exp();
    /// let e = y.explain_with(&EvalOptions::eager(), true);
    /// assert!(e.contains("2 kernels"), "{e}");
    /// assert!(e.contains("machine code"), "{e}");
    /// ```
    pub fn explain_with(&self, opts: &EvalOptions, disasm: bool) -> String {
        let g = crate::ir::Graph::lower(std::slice::from_ref(&self.0));
        let plan = crate::passes::compile(&g, opts.mode != crate::eval::Mode::Eager);
        crate::debug::explain(&g, &plan, disasm, opts.matmul)
    }

    /// Number of JIT kernels evaluation would run (runtime ops such as matmul not counted).
    ///
    /// ```
    /// use lazynp::EvalOptions;
    /// let (a, b, c) = (lazynp::array([1.0f32]), lazynp::array([2.0f32]), lazynp::array([3.0f32]));
    /// let y = &(&a + &b) + &c;
    /// assert_eq!(y.kernel_count(&EvalOptions::fused()), 1);
    /// assert_eq!(y.kernel_count(&EvalOptions::eager()), 2);
    /// ```
    pub fn kernel_count(&self, opts: &EvalOptions) -> usize {
        let g = crate::ir::Graph::lower(std::slice::from_ref(&self.0));
        let plan = crate::passes::compile(&g, opts.mode != crate::eval::Mode::Eager);
        plan.steps
            .iter()
            .filter(|s| matches!(s, crate::passes::Step::Kernel { .. }))
            .count()
    }

    /// The strided view of an existing node this array reads, if it is a view: (base, view).
    pub(crate) fn as_view(&self) -> (Array, View) {
        if self.0.buffer().is_none()
            && let Op::View(v) = &self.0.op
            && let Some(base) = self.0.inputs().into_iter().next()
        {
            return (Array(base), v.clone());
        }
        (self.clone(), View::contiguous(self.shape()))
    }

    /// Builds a view node over `base` (or returns `base` itself for an identity view).
    #[track_caller]
    pub(crate) fn view_of(base: &Array, v: View) -> Array {
        if v.shape.as_slice() == base.shape() && v.is_contiguous() && v.offset == 0 {
            return base.clone();
        }
        let shape = v.shape.to_vec();
        Array::build(Op::View(v), base.dtype(), shape, &[base])
    }
}

impl std::fmt::Display for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match display::str(self) {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<array: {e}>"),
        }
    }
}
