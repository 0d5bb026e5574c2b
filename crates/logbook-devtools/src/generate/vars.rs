//! Context variable values and the `cdr_custom_data` merge rules.

use super::json::JsonOut;

/// A context variable value.
#[derive(Clone)]
pub(super) enum VarValue {
    Str(String),
    Lit(&'static str),
    Int(u64),
    Num(f64),
    Bool(bool),
}

impl VarValue {
    pub(super) fn write(&self, j: &mut JsonOut) {
        match self {
            VarValue::Str(s) => j.str(s),
            VarValue::Lit(s) => j.str(s),
            VarValue::Int(n) => j.u(*n),
            VarValue::Num(x) => j.dec(*x, 2),
            VarValue::Bool(b) => j.b(*b),
        }
    }
}

pub(super) fn set_var(
    vars: &mut Vec<(&'static str, VarValue)>,
    key: &'static str,
    value: VarValue,
) {
    match vars.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => vars.push((key, value)),
    }
}

pub(super) fn write_vars(j: &mut JsonOut, vars: &[(&'static str, VarValue)]) {
    for (k, v) in vars {
        j.key(k);
        v.write(j);
    }
}

/// Merges a `cdr_custom_data` update: later keys overwrite, `""` removes the key.
pub(super) fn merge_custom(
    merged: &mut Vec<(&'static str, VarValue)>,
    key: &'static str,
    value: &VarValue,
) {
    if matches!(value, VarValue::Lit("")) {
        merged.retain(|(k, _)| *k != key);
    } else {
        set_var(merged, key, value.clone());
    }
}
