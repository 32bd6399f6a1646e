//! `cloudbase-emulator`: run a local CloudBase for apps and tests in any language.
//!
//! ```text
//! cloudbase-emulator [--port N] [--host ADDR] [--db PATH] [--env ENV_ID]
//!                    [--token-lifetime SECS] [--publishable-key KEY] [--api-key KEY]
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use cloudbase_emulator::Emulator;

const USAGE: &str = "usage: cloudbase-emulator [--port N (default 8787)] [--host ADDR (default 127.0.0.1)] \
[--db PATH (default: in memory)] [--env ENV_ID] [--token-lifetime SECS] [--publishable-key KEY] [--api-key KEY]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cloudbase-emulator: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut host: IpAddr = IpAddr::from([127, 0, 0, 1]);
    let mut port: u16 = 8787;
    let mut builder = Emulator::builder();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return Ok(());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag}: {value:?} is not {what}");
        builder = match flag.as_str() {
            "--port" => {
                port = value.parse().map_err(|_| bad("a port number"))?;
                builder
            }
            "--host" => {
                host = value.parse().map_err(|_| bad("an IP address"))?;
                builder
            }
            "--db" => builder.database_path(value),
            "--env" => builder.env_id(value),
            "--token-lifetime" => {
                let secs: u64 = value.parse().map_err(|_| bad("a number of seconds"))?;
                builder.token_lifetime(Duration::from_secs(secs))
            }
            "--publishable-key" => builder.publishable_key(value),
            "--api-key" => builder.api_key(value),
            other => return Err(format!("unknown option {other}")),
        };
    }
    let emulator = builder
        .bind(SocketAddr::new(host, port))
        .start()
        .map_err(|e| e.to_string())?;
    println!("cloudbase-emulator listening on {}", emulator.base_url());
    emulator.wait();
    Ok(())
}
