/// mimalloc: a simulation allocates and frees small buffers for every HTTP
/// exchange; with it a run takes about 30% fewer instructions than with glibc's
/// malloc (callgrind, 100 implementer lanes). Built without transparent huge
/// pages (`no_thp`, root `Cargo.toml`): 10,000 concurrent runs peak a sixth lower.
/// It keeps the pages it frees for the rest of the process
/// (`squadsim::tools::allocator`). Output does not depend on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    squadsim::tools::allocator::keep_freed_pages();
    squadsim::tools::cli::main()
}
