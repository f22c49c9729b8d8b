use std::process::ExitCode;

fn main() -> ExitCode {
    msting::cli::run(std::env::args_os())
}
