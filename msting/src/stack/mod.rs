//! The stack as data: what containers, networks and volumes an install wants, derived from the
//! config alone (`spec`), and the reference compose file rendered from the same data
//! (`compose`). Creating and comparing the real resources through the engine builds on this.

pub mod compose;
pub mod containers;
pub(crate) mod engine;
pub mod exec;
pub mod lifecycle;
pub mod resources;
pub mod spec;
pub(crate) mod volumes;
