//! AFL++ target: see `cleanse_fuzz::csv` and ../../README.md.
fn main() {
    cleanse_fuzz::init("csv");
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::csv(data));
}
