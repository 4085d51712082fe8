//! `sluice package <folder>`: builds a project package (docs/package-format.md) from a
//! folder holding `sluice-project.json` and the processes' files, ready for Brity's
//! `ipaUpload/upload`.

use anyhow::{bail, Context};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct PackageArgs {
    /// The folder holding sluice-project.json and the processes' files.
    pub folder: PathBuf,
    /// Where to write the package (default: <project name>.zip in the current folder).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Encrypt the package (AES-256) with the password held by this environment variable
    /// (a variable, not the password itself, so it stays out of process lists).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

pub fn run(args: PackageArgs) -> anyhow::Result<()> {
    let password = match &args.password_env {
        Some(var) => {
            let value = std::env::var(var)
                .with_context(|| format!("environment variable {var} is not set"))?;
            if value.is_empty() {
                bail!("environment variable {var} is empty");
            }
            Some(value)
        }
        None => None,
    };
    let manifest_path = args.folder.join(sluice_package::MANIFEST_FILE);
    let manifest = std::fs::read(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let name = sluice_package::Manifest::parse(&manifest)
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest_path.display()))?
        .name;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.zip")));
    // An earlier package written inside the folder must not end up in the new one.
    let options = sluice_package::BuildOptions {
        password: password.as_deref(),
        exclude: vec![output.clone()],
    };
    let bytes = sluice_package::build_with(&args.folder, &options)
        .map_err(|e| anyhow::anyhow!("{}: {e} ({})", args.folder.display(), e.code()))?;
    let package = sluice_package::open(&bytes, password.as_deref())
        .map_err(|e| anyhow::anyhow!("the built package does not open: {e}"))?;
    // Written beside the target and renamed, so a failed run leaves no half-written file.
    let tmp = output.with_extension("zip.partial");
    std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &output).with_context(|| format!("cannot write {}", output.display()))?;
    println!(
        "{}: project {:?}, {} processes, {} files, {} bytes{}",
        output.display(),
        package.manifest.name,
        package.manifest.processes.len(),
        package.files.len(),
        bytes.len(),
        if package.encrypted {
            ", AES-256 encrypted"
        } else {
            ""
        }
    );
    Ok(())
}
