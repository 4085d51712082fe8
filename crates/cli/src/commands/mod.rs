//! One module per subcommand.

pub mod bot;
pub mod package;
pub mod serve;
