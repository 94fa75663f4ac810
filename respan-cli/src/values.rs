//! A workflow file's settings as the runtime's values (`ModelSettings`,
//! `RespanParams`, `GatewayPrompt`), field for field what the generated code
//! writes (respan-codegen's `generate::values`), so the requests are the same.

use respan_codegen::spec::{
    ModelSettingsSpec, PlacementSpec, PromptSpec, RespanSpec, Spanned, ToolChoiceSpec,
    ToolUseBehaviorSpec,
};
use respan_runtime::{
    GatewayPrompt, ModelSettings, Placement, RespanParams, ToolChoice, ToolUseBehavior,
};

/// `[agents.<id>.model_settings]`, or `None` when nothing is set (the runtime's
/// defaults then apply, as for a generated agent).
pub fn model_settings(spec: &ModelSettingsSpec) -> Option<ModelSettings> {
    // Generated code writes `f32` literals, and leaves out what is not finite.
    let float = |value: &Option<Spanned<f64>>| {
        value
            .as_ref()
            .map(|v| v.value as f32)
            .filter(|v| v.is_finite())
    };
    let settings = ModelSettings {
        temperature: float(&spec.temperature),
        top_p: float(&spec.top_p),
        max_tokens: spec.max_tokens.as_ref().map(|v| v.value),
        frequency_penalty: float(&spec.frequency_penalty),
        presence_penalty: float(&spec.presence_penalty),
        tool_choice: spec
            .tool_choice
            .as_ref()
            .map(|choice| tool_choice(&choice.value)),
        parallel_tool_calls: spec.parallel_tool_calls.as_ref().map(|v| v.value),
        seed: spec.seed.as_ref().map(|v| v.value),
        stop: spec.stop.as_ref().map(|v| v.value.clone()),
        response_format: spec.response_format.as_ref().map(|v| v.value.clone()),
        extra_body: spec.extra_body.clone(),
        extra_headers: spec
            .extra_headers
            .iter()
            .map(|(name, value)| (name.value.clone(), value.value.clone()))
            .collect(),
    };
    (settings != ModelSettings::default()).then_some(settings)
}

fn tool_choice(spec: &ToolChoiceSpec) -> ToolChoice {
    match spec {
        ToolChoiceSpec::Auto => ToolChoice::Auto,
        ToolChoiceSpec::Required => ToolChoice::Required,
        ToolChoiceSpec::None => ToolChoice::None,
        ToolChoiceSpec::Function(name) => ToolChoice::Function(name.clone()),
    }
}

/// Where Respan parameters or a prompt travel.
pub fn placement(spec: PlacementSpec) -> Placement {
    match spec {
        PlacementSpec::Body => Placement::Body,
        PlacementSpec::RespanParams => Placement::RespanParams,
        PlacementSpec::Header => Placement::Header,
    }
}

/// `[agents.<id>.respan]`.
pub fn respan_params(spec: &RespanSpec) -> RespanParams {
    let mut params = RespanParams {
        customer_identifier: spec.customer_identifier.as_ref().map(|v| v.value.clone()),
        metadata: spec.metadata.clone(),
        thread_identifier: spec.thread_identifier.as_ref().map(|v| v.value.clone()),
        fallback_models: spec
            .fallback_models
            .iter()
            .map(|v| v.value.clone())
            .collect(),
        customer_params: spec.customer_params.as_ref().map(|v| v.value.clone()),
        cache_enabled: spec.cache_enabled.as_ref().map(|v| v.value),
        cache_ttl: spec.cache_ttl.as_ref().map(|v| v.value),
        cache_options: spec.cache_options.as_ref().map(|v| v.value.clone()),
        disable_log: spec.disable_log.as_ref().map(|v| v.value),
        extra: spec.extra.clone(),
        ..RespanParams::default()
    };
    if let Some(where_) = &spec.placement {
        params.placement = placement(where_.value);
    }
    params
}

/// `[agents.<id>.prompt]`.
pub fn gateway_prompt(spec: &PromptSpec) -> GatewayPrompt {
    GatewayPrompt {
        schema_version: spec.schema_version.value,
        variables: spec.variables.clone(),
        version: spec.version.as_ref().map(|v| v.value.clone()),
        echo: spec.echo.as_ref().map(|v| v.value),
        patch: spec.patch.as_ref().map(|v| v.value.clone()),
        placement: placement(spec.placement.value),
        ..GatewayPrompt::new(spec.prompt_id.value.clone())
    }
}

/// `tool_use_behavior`.
pub fn tool_use_behavior(spec: &ToolUseBehaviorSpec) -> ToolUseBehavior {
    match spec {
        ToolUseBehaviorSpec::RunLlmAgain => ToolUseBehavior::RunLlmAgain,
        ToolUseBehaviorSpec::StopOnFirstTool => ToolUseBehavior::StopOnFirstTool,
        ToolUseBehaviorSpec::StopAtTools(tools) => {
            ToolUseBehavior::StopAtTools(tools.iter().map(|t| t.value.clone()).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s<T>(value: T) -> Spanned<T> {
        Spanned::new(value, 0..0)
    }

    #[test]
    fn unset_settings_are_none_and_non_finite_floats_are_left_out() {
        assert_eq!(model_settings(&ModelSettingsSpec::default()), None);
        let spec = ModelSettingsSpec {
            temperature: Some(s(0.2)),
            top_p: Some(s(f64::NAN)),
            tool_choice: Some(s(ToolChoiceSpec::Function("lookup".into()))),
            ..ModelSettingsSpec::default()
        };
        let settings = model_settings(&spec).unwrap();
        assert_eq!(settings.temperature, Some(0.2f32));
        assert_eq!(settings.top_p, None);
        assert_eq!(
            settings.tool_choice,
            Some(ToolChoice::Function("lookup".into()))
        );
    }

    #[test]
    fn respan_placement_defaults_to_the_runtime_default() {
        let params = respan_params(&RespanSpec::default());
        assert_eq!(params.placement, RespanParams::default().placement);
        let params = respan_params(&RespanSpec {
            placement: Some(s(PlacementSpec::Header)),
            ..RespanSpec::default()
        });
        assert_eq!(params.placement, Placement::Header);
    }
}
