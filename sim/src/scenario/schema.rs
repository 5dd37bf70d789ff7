//! The scenario format's JSON Schema, generated from its types (`squadsim
//! schema`; `scenarios/scenario.schema.json`, which a test keeps current).

use super::Scenario;

/// The JSON Schema of the scenario format.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).expect("a JSON Schema is plain JSON: it always serializes") + "\n"
}
