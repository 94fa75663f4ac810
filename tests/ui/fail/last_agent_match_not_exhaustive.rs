// `last_agent` is the workflow's `Agent` enum: a `match` that forgets an agent
// (here, after `technical` was added to the workflow) does not compile.
respan::workflow!("../../../workflows/support.toml");

async fn handle(gateway: &respan::Gateway) -> Result<(), respan::Error> {
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let run = workflow
        .run(gateway, "I'm having trouble connecting to the API.")
        .await?;
    match run.last_agent {
        support::Agent::Triage => println!("triage: {}", run.final_output),
        support::Agent::Billing => println!("billing: {}", run.final_output),
    }
    Ok(())
}

fn main() {
    let _ = handle;
}
