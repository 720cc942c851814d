//! The command line: parse arguments, set up logging, call one operation in
//! [`crate::ops`], print its result. No work happens here.

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

/// Entry point of the `seqlab` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::exec::worker::mark_this_process_as_the_cli();
    init_logging(cli.global.verbose, cli.global.quiet);
    match commands::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            // Pipeline errors carry their own `error:` prefixes, one per problem.
            match e.downcast_ref::<crate::spec::SpecErrors>() {
                Some(spec) => eprintln!("{spec}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEQLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("seqlab={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}
