//! A minimal respan app: one workflow file, the gateway from the environment.

use std::process::ExitCode;

respan::workflow!("workflows/app.toml");

#[tokio::main]
async fn main() -> ExitCode {
    let question = std::env::args().nth(1).unwrap_or_else(|| "Hello".to_string());
    let gateway = match respan::Gateway::from_env() {
        Ok(gateway) => gateway,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match app::Workflow::new(app::Vars {}).run(&gateway, question).await {
        Ok(result) => {
            println!("{}", result.final_output);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
