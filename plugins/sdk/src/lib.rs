//! # Writing a bouncedx check plugin
//!
//! A plugin answers questions a rejection cannot answer by itself: is this
//! IP on a blocklist, does this domain publish DMARC, what does Postmaster
//! Tools say. It is a WebAssembly component that bouncedx runs in a
//! sandbox; everything it learns from the outside world it asks the host
//! for ([`host`]), and the host answers only what the site granted.
//!
//! With this crate a plugin is a type that implements [`Plugin`] and one
//! macro call:
//!
//! ```
//! use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("hello", "0.1.0", "Says whether a domain has an A record")
//!             .check(CheckInfo::new("a", "Looks the domain up").required("domain", "the domain"))
//!     }
//!
//!     fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
//!         let domain = params.required("domain")?;
//!         let answers = host::dns(domain, host::RecordType::A)?;
//!         Ok(if answers.is_empty() {
//!             CheckResult::fail(format!("{domain} has no A record"))
//!         } else {
//!             CheckResult::pass(format!("{domain} is {}", answers.join(", ")))
//!         })
//!     }
//! }
//!
//! bouncedx_plugin_sdk::plugin!(Hello);
//! ```
//!
//! Built with `cargo build --release --target wasm32-wasip2`, the macro
//! exports the component interface (`bouncedx:plugin@0.1.0`, see
//! `plugins/wit/plugin.wit`). Built for the machine you work on, the same
//! code runs natively and [`host`] answers from a [`testing::Stand`] you
//! fill in a test, so a plugin's own `cargo test` needs no WebAssembly
//! runtime.

pub mod host;
pub mod testing;
mod types;

pub use types::{CheckInfo, CheckResult, Param, Params, PluginInfo, Status};

/// The version of the interface this SDK builds plugins for.
pub const INTERFACE_VERSION: &str = "0.1.0";

/// What a plugin is: its metadata and its checks.
pub trait Plugin {
    /// Name, version, description and the checks with their parameters.
    fn info() -> PluginInfo;

    /// Runs one check. `Err` is a problem with the call itself (an unknown
    /// check, a missing or bad parameter, a failed lookup); the host shows
    /// it as a result of status `error`.
    fn run(check: &str, params: &Params) -> Result<CheckResult, String>;
}

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "bouncedx_plugin_sdk::bindings",
    });
}

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod glue {
    //! Conversions between the SDK's types and the generated bindings.
    use crate::bindings::bouncedx::plugin::types as wit;

    pub fn info(i: crate::PluginInfo) -> wit::PluginInfo {
        wit::PluginInfo {
            name: i.name,
            version: i.version,
            description: i.description,
            checks: i
                .checks
                .into_iter()
                .map(|c| wit::CheckInfo {
                    name: c.name,
                    description: c.description,
                    params: c
                        .params
                        .into_iter()
                        .map(|p| wit::Param {
                            name: p.name,
                            description: p.description,
                            required: p.required,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    pub fn result(r: Result<crate::CheckResult, String>) -> Result<wit::CheckResult, String> {
        r.map(|r| wit::CheckResult {
            status: match r.status {
                crate::Status::Pass => wit::Status::Pass,
                crate::Status::Fail => wit::Status::Fail,
                crate::Status::Warn => wit::Status::Warn,
                crate::Status::Unknown => wit::Status::Unknown,
            },
            summary: r.summary,
            facts: r
                .facts
                .into_iter()
                .map(|(name, value)| wit::Fact { name, value })
                .collect(),
        })
    }
}

/// Exports a [`Plugin`] as the component's interface. On a native build it
/// expands to nothing, so the plugin's tests call `Plugin::run` directly.
#[macro_export]
macro_rules! plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __BouncedxGuest;
            impl $crate::bindings::Guest for __BouncedxGuest {
                fn metadata() -> $crate::bindings::bouncedx::plugin::types::PluginInfo {
                    $crate::glue::info(<$plugin as $crate::Plugin>::info())
                }
                fn run_check(
                    check: ::std::string::String,
                    params: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<
                    $crate::bindings::bouncedx::plugin::types::CheckResult,
                    ::std::string::String,
                > {
                    let params = $crate::Params::from(params);
                    $crate::glue::result(<$plugin as $crate::Plugin>::run(&check, &params))
                }
            }
            $crate::bindings::__export_plugin!(__BouncedxGuest);
        };
    };
}
