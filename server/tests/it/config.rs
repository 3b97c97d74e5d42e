//! The configuration is what the README says it is: every setting `ferry` reads is a flag with
//! its variable and default, listed in the README's table with the same flag, variable and
//! default, and `ferry serve --help` shows each.

use crate::harness::repo_root;
use clap::CommandFactory;
use server::config::Cli;
use std::collections::BTreeMap;

/// A row of the README's configuration table: flag, variable, default.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    flag: String,
    default: String,
}

/// Variable → its flag and default, from the README's table (first backticked value of
/// each cell).
fn readme_settings() -> BTreeMap<String, Setting> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("a Configuration section")
        .split("\n## ")
        .next()
        .unwrap();
    let code = |cell: &str| cell.split('`').nth(1).unwrap_or_default().to_string();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let setting = Setting {
                flag: code(cells[0]),
                default: code(cells[2]),
            };
            (code(cells[1]), setting)
        })
        .collect()
}

/// Variable → flag and default, from the command line definition (`ferry serve`, then
/// `ferry lambda` for what serve lacks, and the global flags).
fn defined_settings() -> BTreeMap<String, Setting> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve");
    let mut out = BTreeMap::new();
    let commands = [Some(serve), cli.find_subcommand("lambda")];
    for arg in commands
        .into_iter()
        .flatten()
        .flat_map(|c| c.get_arguments())
        .chain(cli.get_arguments())
    {
        let Some(var) = arg.get_env() else { continue };
        let default = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(",");
        let setting = Setting {
            flag: format!("--{}", arg.get_long().expect("a long flag")),
            default,
        };
        out.entry(var.to_string_lossy().into_owned())
            .or_insert(setting);
    }
    out
}

#[test]
fn the_readme_table_is_the_command_line() {
    let readme = readme_settings();
    let defined = defined_settings();
    assert!(defined.len() >= 14, "{defined:?}");
    assert_eq!(readme, defined);
}

#[test]
fn serve_help_names_every_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (var, setting) in readme_settings() {
        // Secrets show their variable without its value.
        let shown =
            help.contains(&format!("[env: {var}=")) || help.contains(&format!("[env: {var}]"));
        assert!(shown, "{var} in:\n{help}");
        assert!(help.contains(&setting.flag), "{} in:\n{help}", setting.flag);
    }
}

#[test]
fn an_unknown_durability_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("FERRY_DURABILITY", "eventually")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("eventually") && stderr.contains("process") && stderr.contains("power"),
        "{stderr}"
    );
    // Nothing was started: no store was created.
    assert!(!dir.path().join("dynamodb.sqlite").exists());
}
