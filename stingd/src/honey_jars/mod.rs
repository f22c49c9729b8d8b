//! Honey Jars: knowledge bases of documents, who may read them, and everything between an
//! upload and a passage found: reading files in a confined child (`ingest`), sealing,
//! chunking, the full-text and vector indexes, embeddings, search and its fusion, and the
//! background indexer.

pub mod documents;
pub mod documents_api;
pub mod embed;
pub mod indexer;
pub mod ingest;
pub mod jars;
pub mod jars_api;
pub mod vectors;
