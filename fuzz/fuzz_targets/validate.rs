//! Arbitrary bytes as an instance of the project's example schema: validation must never panic,
//! and a document it calls valid must be well-formed.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use xsd_validator::{SchemaSet, ValidationOptions};

fn schema() -> &'static SchemaSet {
    static SCHEMA: OnceLock<SchemaSet> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schemas/example/xoev-gateway-example.xsd"
        );
        match SchemaSet::compile(&[path.into()], None) {
            Ok(set) => set,
            Err(errors) => panic!("example schema: {errors:?}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let outcome = schema().validate(data, &ValidationOptions::default());
    assert!(!outcome.is_valid() || outcome.well_formed);
});
