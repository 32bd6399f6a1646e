//! `cloudbase-emulator`: run a local CloudBase for apps and tests in any language.
//!
//! `cloudbase-emulator --help` lists the options. Requests are logged through
//! `tracing`, one line each (`RUST_LOG=cloudbase_emulator=info`, the default).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cloudbase_emulator::{ADMIN_TOKEN_HEADER, Emulator};

/// A local Tencent CloudBase: the same HTTP API, state in SQLite, test hooks under
/// /__emulator/ (which need the admin token printed at start). For local
/// development only.
#[derive(Parser, Debug)]
#[command(name = "cloudbase-emulator", version, about)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Address to listen on. Anything but loopback exposes the emulator to other
    /// machines and needs --admin-token.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Keep data (models, MySQL-REST tables) in this SQLite file, and auth state in
    /// `<PATH>.auth` beside it (default: in memory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Keep stored files in this directory (default: `<db>.files` beside --db, so that
    /// files persist with the data; without --db a temporary one, removed on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The environment id put in tokens.
    #[arg(long = "env", value_name = "ENV_ID")]
    env_id: Option<String>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECS")]
    token_lifetime: Option<u64>,
    /// Accept this Publishable Key as a bearer (repeatable).
    #[arg(long = "publishable-key", value_name = "KEY")]
    publishable_keys: Vec<String>,
    /// Accept this API key as a bearer with admin rights (repeatable).
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,
    /// Accept this server credential pair at /auth/v1/token/clientCredential, as
    /// SECRET_ID:SECRET_KEY (repeatable; default: a made-up pair, printed at start).
    #[arg(long = "server-secret", value_name = "ID:KEY")]
    server_secrets: Vec<String>,
    /// The token admin routes require in the x-emulator-admin-token header
    /// (default: a random one, printed at start).
    #[arg(long, value_name = "TOKEN", env = "CLOUDBASE_EMULATOR_ADMIN_TOKEN")]
    admin_token: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("cloudbase_emulator=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cloudbase-emulator: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let addr = SocketAddr::new(args.host, args.port);
    if !addr.ip().is_loopback() {
        eprintln!(
            "cloudbase-emulator: WARNING: listening on {addr} makes the emulator reachable from other \
             machines. It is for local development only: its users, data and files are not protected \
             as the real service's are."
        );
    }
    let mut builder = Emulator::builder().bind(addr);
    let data_dir = args.data_dir.or_else(|| {
        args.db.as_ref().map(|db| {
            let mut dir = db.as_os_str().to_owned();
            dir.push(".files");
            PathBuf::from(dir)
        })
    });
    if let Some(db) = args.db {
        builder = builder.database_path(db);
    }
    if let Some(dir) = data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(env) = args.env_id {
        builder = builder.env_id(env);
    }
    if let Some(secs) = args.token_lifetime {
        builder = builder.token_lifetime(Duration::from_secs(secs));
    }
    for key in args.publishable_keys {
        builder = builder.publishable_key(key);
    }
    for key in args.api_keys {
        builder = builder.api_key(key);
    }
    for pair in args.server_secrets {
        let (id, key) = pair
            .split_once(':')
            .ok_or("--server-secret takes SECRET_ID:SECRET_KEY")?;
        builder = builder.server_secret(id, key);
    }
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    let emulator = builder.start().map_err(|e| e.to_string())?;
    println!("cloudbase-emulator listening on {}", emulator.base_url());
    println!(
        "admin routes ({}/__emulator/…) need the header {ADMIN_TOKEN_HEADER}: {}",
        emulator.base_url(),
        emulator.admin_token()
    );
    println!(
        "server credentials: SecretId {} (the key: GET {}/__emulator/server-secret, or --server-secret)",
        emulator.server_secret().0,
        emulator.base_url()
    );
    emulator.wait();
    Ok(())
}
