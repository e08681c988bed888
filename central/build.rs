//! The console's charts use Apache ECharts, from the npm package the project installs
//! (`make deps`: `ui/node_modules/echarts`). It is built into the server, so the console works
//! offline and from the server's own origin. Built without it, the console's charts say so and
//! its tables still show.

fn main() {
    let manifest = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let source = manifest.join("../ui/node_modules/echarts/dist/echarts.min.js");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("echarts.min.js");
    let script = std::fs::read(&source).unwrap_or_else(|_| {
        println!("cargo:warning=ui/node_modules/echarts is missing (run `make deps`): the console is built without its charts");
        Vec::new()
    });
    if let Err(e) = std::fs::write(&out, script) {
        panic!("writing {}: {e}", out.display());
    }
}
