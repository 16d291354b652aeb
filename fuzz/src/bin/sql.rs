//! AFL++ target: see `cleanse_fuzz::sql` and ../../README.md.
fn main() {
    cleanse_fuzz::init("sql");
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::sql(data));
}
