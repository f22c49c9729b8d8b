//! Turning an uploaded file into text and chunks: what kind of file it really is (`sniff`),
//! its text, extracted in a confined child process with memory and time limits so that a
//! hostile file cannot take stingd down (`extract`), and chunks split along its structure
//! (`chunk`).

pub mod chunk;
pub mod extract;
pub mod sniff;
