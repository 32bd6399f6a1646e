//! Cloud functions (`/v1/functions/{name}`, functions.md §1).

mod call_function;

pub use call_function::{CallFunction, FunctionResult, validate_function_name};
