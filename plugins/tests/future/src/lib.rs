//! A plugin built against `bouncedx:plugin@0.2.0`, an interface version the
//! host does not serve: loading it must fail with a message that names
//! both versions.

#[cfg(target_arch = "wasm32")]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "plugin" });

    use bouncedx::plugin::types::Status;

    struct Future;

    impl Guest for Future {
        fn metadata() -> PluginInfo {
            PluginInfo {
                name: "future".into(),
                version: "9.0.0".into(),
                description: "From the future".into(),
                checks: Vec::new(),
            }
        }
        fn run_check(
            _check: String,
            _params: Vec<(String, String)>,
        ) -> Result<CheckResult, String> {
            bouncedx::plugin::host::log(bouncedx::plugin::host::LogLevel::Info, "hello");
            Ok(CheckResult {
                status: Status::Pass,
                summary: String::new(),
                facts: Vec::new(),
            })
        }
    }

    export!(Future);
}
