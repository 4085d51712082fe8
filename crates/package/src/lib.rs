//! Sluice's project package: a zip (deflate, optionally AES-256 encrypted) with the manifest
//! `sluice-project.json` at its root and the processes' files beside it. The format and the
//! contract between a process and the bot that runs it are in docs/package-format.md.
//!
//! - [`build`] packs a folder (`sluice package`);
//! - [`open`] reads and checks a package (the server, on `ipaUpload`);
//! - [`extract`] unpacks one safely (the bot agent);
//! - [`repack`] rewrites one unencrypted, optionally changing the manifest.
//!
//! Every archive is treated as hostile (see [`Limits`]); every refusal is a
//! [`PackageError`] whose `code()` is Brity's ipaUpload failure code.

mod archive;
mod build;
mod error;
mod manifest;
mod names;

pub use archive::{extract, extract_with, open, open_with, Limits, Package, MANIFEST_FILE};
pub use build::{build, build_with, repack, BuildOptions};
pub use error::PackageError;
pub use manifest::{
    Manifest, ObjectKind, Process, Variable, WorkType, FORMAT, MAX_TIMEOUT_SECONDS, VARIABLE_TYPES,
};
pub use names::{check_name, NameProblem, MAX_NAME_CHARS};

#[cfg(test)]
mod tests;
