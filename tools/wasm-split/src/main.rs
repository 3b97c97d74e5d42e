//! `wasm-split <app.wasm> <out dir>`: splits the browser bundle, as cargo-leptos does for
//! `#[lazy_route]` and `#[lazy]`, into `<out>/ferry.wasm` (the main module, for
//! wasm-bindgen), one module per split point and the chunks they share, `__wasm_split.js`
//! (the loader, importing `./ferry.js`) and `prefetch.json`: for each split point, the
//! modules it needs (file stems), which the server turns into preload links for the lazy
//! routes a page renders. The input must be linked with `--emit-relocs`.

use std::{collections::BTreeMap, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, out] = args.as_slice() else {
        eprintln!("usage: wasm-split <app.wasm> <out dir>");
        return ExitCode::from(2);
    };
    match split(input, out) {
        Ok(count) => {
            eprintln!("wasm-split: {count} split modules in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &PathBuf, out: &PathBuf) -> Result<usize, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input)?;
    std::fs::create_dir_all(out)?;
    let main_out = out.join("ferry.wasm");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = out;
    opts.main_out_path = &main_out;
    opts.main_module = "./ferry.js";
    opts.link_name = "./__wasm_split.js";
    let split = wasm_split_cli_support::transform(opts).map_err(|e| e.to_string())?;
    // Sorted, so the same input writes the same file.
    let prefetch: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    std::fs::write(
        out.join("prefetch.json"),
        serde_json::to_string_pretty(&prefetch)?,
    )?;
    Ok(split.split_modules.len())
}
