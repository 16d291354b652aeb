//! AFL++ target: see `cleanse_fuzz::values` and ../../README.md.
fn main() {
    cleanse_fuzz::init("values");
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::values(data));
}
