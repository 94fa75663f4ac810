//! Compiles every workflow of the repository's workflows/ into `$OUT_DIR`; a
//! mistake in one fails the build with the same diagnostics as `respan check`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    respan_codegen::Builder::new().compile_dir("../../workflows")?;
    Ok(())
}
