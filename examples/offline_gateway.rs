//! Runs respan's offline gateway as a standalone OpenAI-compatible server, for
//! other processes (or other languages' clients) to talk to.
//!
//! ```sh
//! cargo run --example offline_gateway -- 127.0.0.1:8787
//! RESPAN_BASE_URL=http://127.0.0.1:8787/api RESPAN_API_KEY=x cargo run --example support
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use respan::OfflineGateway;

#[tokio::main]
async fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8787".into());
    let addr: SocketAddr = match addr.parse() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("error: {addr:?} is not an address like 127.0.0.1:8787 ({error})");
            return ExitCode::FAILURE;
        }
    };
    // A short pause between streamed chunks makes streaming visible in a terminal.
    match OfflineGateway::bind_paced(addr, Duration::from_millis(20)).await {
        Ok(server) => {
            println!(
                "offline gateway listening; RESPAN_BASE_URL={}",
                server.base_url()
            );
            std::future::pending::<()>().await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
