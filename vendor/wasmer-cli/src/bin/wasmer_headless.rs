fn main() {
    wasmer_cli::run_cli();
}
