//! Arbitrary text as a schema document: loading and compiling must never panic; they either
//! produce a schema set or a list of errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xsd_validator::schema::load_from_memory;
use xsd_validator::SchemaSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = load_from_memory(&["fuzz.xsd"], &[("fuzz.xsd", text)], None) {
        let _ = SchemaSet::from_model(model);
    }
});
