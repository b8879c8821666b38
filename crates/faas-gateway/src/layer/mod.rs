//! The middleware of the invocation stack, one concern per file; [`crate::invoke::stack`]
//! composes them.
//!
//! Each layer's future must be `Unpin` (boxed where it awaits), so the wrappers here are plain
//! structs polled through `Pin::new`, without `unsafe` or pin projection.

pub(crate) mod call_id;
pub(crate) mod deadline;
pub(crate) mod lookup;
pub(crate) mod metrics;
pub(crate) mod wake_up;
