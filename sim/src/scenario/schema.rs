//! The scenario format's JSON Schema, generated from its types (`squadsim
//! schema`; `scenarios/scenario.schema.json`, which a test keeps current).

use serde_json::Value;

use super::locate::Segment;
use super::Scenario;

/// The JSON Schema of the scenario format.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).expect("a JSON Schema is plain JSON: it always serializes") + "\n"
}

/// The keys the format allows in the mapping at `path`, in the schema's order,
/// read from the schema: for a refusal of an unknown key that does not list
/// them (serde's, in a mapping that flattens a part of itself).
pub(crate) fn keys_at(path: &[Segment]) -> Vec<String> {
    let schema = serde_json::to_value(schemars::schema_for!(Scenario)).unwrap_or_default();
    let mut nodes = vec![&schema];
    for segment in path {
        nodes = nodes
            .into_iter()
            .flat_map(|node| alternatives(&schema, node))
            .filter_map(|node| match segment {
                Segment::Key(key) => node
                    .get("properties")
                    .and_then(|properties| properties.get(key))
                    .or_else(|| node.get("additionalProperties").filter(|values| values.is_object())),
                Segment::Index(_) => node.get("items"),
            })
            .collect();
    }
    let mut keys: Vec<String> = Vec::new();
    let properties = nodes.into_iter().flat_map(|node| alternatives(&schema, node)).filter_map(|n| n.get("properties"));
    for key in properties.filter_map(Value::as_object).flat_map(|p| p.keys()) {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    keys
}

/// `node` with its `$ref` resolved and its `anyOf`, `oneOf` and `allOf` alternatives spread out.
fn alternatives<'a>(schema: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let resolved = schema.pointer(reference.trim_start_matches('#'));
        return resolved.map(|n| alternatives(schema, n)).unwrap_or_default();
    }
    let mut all = vec![node];
    for key in ["anyOf", "oneOf", "allOf"] {
        for alternative in node.get(key).and_then(Value::as_array).into_iter().flatten() {
            all.extend(alternatives(schema, alternative));
        }
    }
    all
}
