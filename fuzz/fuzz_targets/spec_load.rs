//! The spec loader on arbitrary bytes: it must answer every input (a spec or diagnostics)
//! without panicking, with every diagnostic pointing inside the file.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let source = spec::Source {
        path: "fuzz.yaml".to_owned(),
        text: String::from_utf8_lossy(data).into_owned(),
    };
    let audio = |_: &str| Ok("0".repeat(64));
    let loaded = spec::load(std::slice::from_ref(&source), &audio);
    for diagnostic in &loaded.diagnostics {
        for label in &diagnostic.labels {
            assert!(label.span.end <= source.text.len());
        }
    }
    assert_eq!(loaded.spec.is_some(), loaded.errors() == 0);
});
