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
    // The loader names what the main module shares in a hash map's order: sorted, like the
    // prefetch map, so the same input writes the same files (and the same content hashes).
    let loader = out.join("__wasm_split.js");
    std::fs::write(
        &loader,
        sort_shared_names(&std::fs::read_to_string(&loader)?),
    )?;
    let prefetch: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    std::fs::write(
        out.join("prefetch.json"),
        serde_json::to_string_pretty(&prefetch)?,
    )?;
    Ok(split.split_modules.len())
}

/// The loader with the names inside `const { … } = initSync(…)` and
/// `Object.assign(sharedImports.__wasm_split, { … })` in sorted order.
fn sort_shared_names(loader: &str) -> String {
    loader
        .split_inclusive('\n')
        .map(|line| {
            let shares = line.contains("= initSync(")
                || line.contains("Object.assign(sharedImports.__wasm_split, {");
            match (shares, line.find('{'), line.find('}')) {
                (true, Some(open), Some(close)) if open < close => {
                    let mut names: Vec<&str> = line[open + 1..close]
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .collect();
                    names.sort_unstable();
                    format!(
                        "{}{{ {}, }}{}",
                        &line[..open],
                        names.join(", "),
                        &line[close + 1..]
                    )
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sort_shared_names;

    #[test]
    fn shared_names_are_sorted_and_nothing_else_changes() {
        let loader = "import { initSync } from \"./ferry.js\";\n\
            const { memory, __indirect_function_table, __wasm_split_shared0,  } = initSync(undefined, undefined);\n\
            Object.assign(sharedImports.__wasm_split, { memory, __wasm_split_shared0, __indirect_function_table,  });\n\
            return { b, a };\n";
        let sorted = sort_shared_names(loader);
        assert_eq!(
            sorted,
            "import { initSync } from \"./ferry.js\";\n\
             const { __indirect_function_table, __wasm_split_shared0, memory, } = initSync(undefined, undefined);\n\
             Object.assign(sharedImports.__wasm_split, { __indirect_function_table, __wasm_split_shared0, memory, });\n\
             return { b, a };\n"
        );
        // Whatever order the splitter wrote them in, the same text.
        let shuffled = loader.replace(
            "memory, __indirect_function_table, __wasm_split_shared0,",
            "__wasm_split_shared0, memory, __indirect_function_table,",
        );
        assert_eq!(sort_shared_names(&shuffled), sorted);
    }
}
