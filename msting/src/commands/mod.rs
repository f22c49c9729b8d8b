//! One module per subcommand: each declares its arguments and turns them into calls to library
//! code, then presents the result. No logic worth testing on its own lives here.

pub mod completions;
pub mod config;
