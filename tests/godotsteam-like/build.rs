//! Compiles `src/callbacks.cpp` against Valve's own Steamworks headers, which ship inside the steamworks-sys
//! package, and lets the built library find `libsteam_api` beside itself at load time.
//!
//! The headers are found without knowing where cargo keeps its packages: `STEAM_SDK_LOCATION` first (the
//! variable steamworks-sys itself honours, so both then agree on the SDK), else the manifest path cargo
//! reports for the steamworks-sys this package depends on (`cargo metadata`, offline: the package is already
//! downloaded, since cargo builds it before this script runs).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const STEAM_SYS: &str = "steamworks-sys";

fn main() {
    println!("cargo:rerun-if-changed=src/callbacks.cpp");
    println!("cargo:rerun-if-env-changed=STEAM_SDK_LOCATION");

    let headers = match steam_headers() {
        Ok(headers) => headers,
        Err(problem) => panic!(
            "cannot find Valve's Steamworks headers ({problem}); set STEAM_SDK_LOCATION to an SDK folder \
             holding public/steam/steam_api.h"
        ),
    };
    println!(
        "cargo:rerun-if-changed={}",
        headers.join("steam_api.h").display()
    );

    let mut build = cc::Build::new();
    build
        .cpp(true)
        // Nothing from the C++ runtime library is used (see callbacks.cpp), so none is linked: the library
        // needs only libsteam_api, like the Rust side.
        .cpp_link_stdlib(None)
        .file("src/callbacks.cpp")
        .include(&headers)
        .warnings(true);
    if !build.get_compiler().is_like_msvc() {
        // No exceptions and no RTTI: no typeinfo or unwinding tables that would need the C++ runtime.
        build.flag("-fno-exceptions").flag("-fno-rtti");
    }
    build.compile("godotsteam_like_callbacks");

    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN");
    } else if target_os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,@loader_path");
    }
}

/// The folder holding `steam_api.h`.
fn steam_headers() -> Result<PathBuf, String> {
    let sdk = match env::var_os("STEAM_SDK_LOCATION") {
        Some(sdk) => PathBuf::from(sdk),
        None => steam_sys_dir()?.join("lib").join("steam"),
    };
    let headers = sdk.join("public").join("steam");
    if headers.join("steam_api.h").is_file() {
        Ok(headers)
    } else {
        Err(format!("{} has no steam_api.h", headers.display()))
    }
}

/// The source folder of the steamworks-sys package this crate depends on, from `cargo metadata`.
fn steam_sys_dir() -> Result<PathBuf, String> {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").map_err(|error| error.to_string())?;
    let own_manifest = Path::new(&manifest_dir).join("Cargo.toml");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&own_manifest);
    // Only this target's dependencies: a checkout fetched for one platform may lack the others' packages.
    if let Ok(target) = env::var("TARGET") {
        command.args(["--filter-platform", &target]);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run cargo metadata: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cargo metadata printed no JSON: {error}"))?;
    let packages = metadata["packages"].as_array().ok_or("no packages")?;
    let own_id = packages
        .iter()
        .find(|package| package["manifest_path"].as_str().map(Path::new) == Some(&own_manifest))
        .and_then(|package| package["id"].as_str())
        .ok_or("this package is missing from cargo metadata")?;
    // The steamworks-sys this package depends on, which is the one linked (a graph may hold several).
    let steam_sys_id = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|node| node["id"] == own_id)
        .and_then(|node| node["deps"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|dependency| dependency["pkg"].as_str())
        .find(|id| {
            packages
                .iter()
                .any(|package| package["id"] == *id && package["name"] == STEAM_SYS)
        })
        .ok_or("no steamworks-sys among this package's dependencies")?;
    let manifest = packages
        .iter()
        .find(|package| package["id"] == steam_sys_id)
        .and_then(|package| package["manifest_path"].as_str())
        .ok_or("steamworks-sys has no manifest path")?;
    Path::new(manifest)
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{manifest} has no folder"))
}
