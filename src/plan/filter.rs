//! `where:` expressions over coordinates (evalexpr syntax: `==`, `!=`, `<`,
//! `&&`, `||`, `!`, string literals in double quotes).

use evalexpr::{
    ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node, Value as EV,
};
use serde_json::Value;

use crate::kind::Coords;

/// A parsed `where:` expression, evaluated once per matrix cell.
pub(crate) struct Condition {
    expr: String,
    node: Node<DefaultNumericTypes>,
}

impl Condition {
    pub fn parse(expr: &str) -> Result<Condition, String> {
        let node = evalexpr::build_operator_tree::<DefaultNumericTypes>(expr)
            .map_err(|e| format!("cannot parse `{expr}`: {e}"))?;
        Ok(Condition {
            expr: expr.to_string(),
            node,
        })
    }

    /// Whether `coords` satisfies the expression; an error names what went
    /// wrong, e.g. a coordinate the expression uses that this stage lacks.
    pub fn holds(&self, coords: &Coords) -> Result<bool, String> {
        let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
        for (k, v) in &coords.0 {
            let value = match v {
                Value::Bool(b) => EV::Boolean(*b),
                Value::Number(n) if n.is_i64() => EV::Int(n.as_i64().unwrap_or_default()),
                Value::Number(n) => EV::Float(n.as_f64().unwrap_or_default()),
                Value::String(s) => EV::String(s.clone()),
                other => EV::String(other.to_string()),
            };
            ctx.set_value(k.clone(), value).map_err(|e| e.to_string())?;
        }
        self.node.eval_boolean_with_context(&ctx).map_err(|e| {
            let known: Vec<&str> = coords.0.keys().map(String::as_str).collect();
            format!(
                "cannot evaluate `{}`: {e} (coordinates here: {})",
                self.expr,
                known.join(", ")
            )
        })
    }
}

/// Whether `coords` satisfies `expr` (parsing it each time).
#[cfg(test)]
pub fn holds(expr: &str, coords: &Coords) -> Result<bool, String> {
    Condition::parse(expr)?.holds(coords)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_on_numbers_and_strings() {
        let c = Coords(
            [
                ("model".to_string(), json!("mlp")),
                ("L".to_string(), json!(2)),
            ]
            .into_iter()
            .collect(),
        );
        assert!(holds("model != \"mlp\" || L == 2", &c).unwrap());
        assert!(!holds("L > 2", &c).unwrap());
        assert!(holds("nope == 1", &c)
            .unwrap_err()
            .contains("coordinates here: model, L"));
    }
}
