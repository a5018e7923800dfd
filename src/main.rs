//! The `sralign` command line. Each command lives in `src/cli/<command>.rs`.
mod cli;

fn main() {
    std::process::exit(cli::main());
}
