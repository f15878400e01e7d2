//! Memory-bound proofs (counting global allocator).
fn main() {}
