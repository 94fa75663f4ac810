// An agent no route from `entry` reaches is a warning (as in `respan check`),
// shown by rustc at the path; denied here to make it visible to the test.
#![deny(deprecated)]

respan::workflow!("unreachable_agent.toml");

fn main() {
    let _ = support::Agent::Archive;
}
