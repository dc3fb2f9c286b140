//! Helpers of the property tests (`tests/`): an allocator that counts per thread, and real
//! inputs to mutate.

pub mod alloc;
pub mod inputs;
