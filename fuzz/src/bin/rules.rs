//! AFL++ target: see `cleanse_fuzz::rules` and ../../README.md.
fn main() {
    cleanse_fuzz::init("rules");
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::rules(data));
}
