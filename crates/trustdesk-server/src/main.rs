//! The `trustdesk` binary: parses the command line and hands over to the
//! library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = trustdesk_server::cli::Cli::parse();
    match trustdesk_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
