//! AFL++ target: see `cleanse_fuzz::rules` and ../../README.md.
fn main() {
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::rules(data));
}
