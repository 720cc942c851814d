fn main() -> std::process::ExitCode {
    seqlab::cli::main()
}
