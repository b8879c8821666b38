//! Arbitrary bytes through `${VAR}` substitution, YAML parsing and validation: any input may
//! be rejected, none may panic.

#![no_main]

use faas_stack::{parse_stack, select_functions, validate_for_deploy, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Even-length names are set (to a value that itself holds a `${`), odd ones unset.
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| "v${B}".to_owned());
    if let Ok(loaded) = parse_stack("fuzz.yml", &text, LoadOptions::new(&lookup)) {
        for function in &loaded.stack.functions {
            let _ = validate_for_deploy(function);
        }
        let _ = select_functions(&loaded.stack, Some("*a*"), None);
    }
});
