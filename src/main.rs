fn main() -> std::process::ExitCode {
    // burn's CPU backend allocates and frees many mid-sized buffers per step;
    // keeping freed memory in the process makes training ~1.5x faster.
    seqlab::train::tune_allocator();
    seqlab::cli::main()
}
