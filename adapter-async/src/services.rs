//! `client.call_container(..)`, `client.apis(name)` and `client.storage()`: the
//! shared handles from `cloudbase_core::service_handles!`.

use crate::Client;

cloudbase_core::service_handles!(async, .await);
