//! `struct Workflow<C>`: the agents built once, and the ways to run them
//! (plain, streamed, in a session, resumable), with or without a context `C`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Module;
use super::names::{agent_variant, field_ident};

impl Module<'_> {
    /// `struct Workflow<C>` and its impls; a stub's constructor is `unreachable!`
    /// (its build fails anyway) and its runs are untyped.
    pub(super) fn workflow(&self, stub: bool) -> TokenStream {
        let vars = self.variables();
        let workflow = &self.spec.workflow.name.value;
        let doc = format!(
            " The `{workflow}` workflow: its agents, built once by [`Workflow::new`] (or [`Workflow::with_context`] when its tools read a context), run with [`Workflow::run`] (or [`Workflow::run_with`])."
        );
        let tools: Vec<TokenStream> = if stub {
            Vec::new()
        } else {
            self.spec
                .tools
                .iter()
                .filter_map(|tool| self.tool_type(&tool.name.value))
                .collect()
        };
        let new_bounds = if tools.is_empty() {
            TokenStream::new()
        } else {
            // `for<'x>`: a bound that names no generic parameter is an error
            // when it does not hold (a tool taking `&AppState` is not a
            // `ToolFn<()>`); under a binder it only makes `new` uncallable, and
            // the caller's error names the tool.
            quote! { where #(for<'x> #tools: ::respan::ToolFn<()>,)* }
        };
        // rustc checks an `instructions_fn`'s signature, but the context it
        // reads is only inferred inside the body, so it is matched when built.
        let handoff_fns = !stub
            && self.agents.iter().any(|agent| {
                agent.handoff_options.iter().any(|options| {
                    let names = self.handoff_names(agent, options);
                    names.on_handoff.is_some() || names.enabled.is_some()
                })
            });
        let panics_doc = if !stub
            && self
                .agents
                .iter()
                .any(|agent| self.instructions_binding(agent).is_some())
        {
            quote! {
                ///
                /// # Panics
                ///
                /// If an agent's `instructions_fn` reads a context other than `C`
                /// (a function reading `&()` fits any): the message names it and
                /// the context it needs.
            }
        } else if handoff_fns {
            quote! {
                ///
                /// # Panics
                ///
                /// If a handoff's `on_handoff` or `is_enabled_fn` reads a context
                /// other than `C` (an `on_handoff` reading `&()` fits any): the
                /// message names it and the context it needs.
            }
        } else {
            TokenStream::new()
        };
        let context_bounds = if tools.is_empty() {
            TokenStream::new()
        } else {
            quote! { where #(#tools: ::respan::ToolFn<C>,)* }
        };
        let build = if stub {
            quote! { ::core::unreachable!("respan: this workflow did not compile") }
        } else {
            let entry = self
                .spec
                .entry_agent()
                .and_then(|agent| agent_variant(&agent.id.value))
                .map(|entry| quote! { Agent::#entry })
                .unwrap_or_else(|| quote! { Agent::ENTRY });
            let destructure = if vars.is_empty() {
                quote! { let _ = vars; }
            } else {
                let fields = vars.iter().map(|(name, _)| field_ident(name));
                quote! { let Vars { #(#fields),* } = &vars; }
            };
            let max_turns = self.spec.workflow.max_turns.as_ref().map(|n| {
                let n = Literal::u32_unsuffixed(n.value);
                quote! { .max_turns(#n) }
            });
            let agents = self.agents.iter().map(|agent| self.agent_value(agent));
            quote! {
                #destructure
                let agents = ::respan::AgentSet::new(#entry)
                    .context::<C>()
                    .workflow_name(#workflow)
                    #max_turns
                    #(.agent(#agents))*;
                Workflow { agents, runner: ::respan::Runner::new().shared_hooks() }
            }
        };
        let typed = !stub && self.has_outputs();
        let result_type = if typed {
            quote! { ::respan::RunResult<Agent, Output> }
        } else {
            quote! { ::respan::RunResult<Agent> }
        };
        // Typed workflows turn every result's text into an `Output`, in one function.
        let typed_output = if typed {
            let conversion = self.output_conversion();
            quote! {
                /// The result's final output as an [`Output`], by the agent that answered.
                fn typed_output(
                    result: ::respan::RunResult<Agent>,
                ) -> ::core::result::Result<::respan::RunResult<Agent, Output>, ::respan::Error> {
                    #conversion
                }
            }
        } else {
            TokenStream::new()
        };
        // The same bodies run plainly or in a session: only the runner differs.
        let plain = quote! { self.runner };
        let in_session = quote! { self.runner.clone().session(session) };
        let run_with_body = |runner: &TokenStream| {
            let run = quote! { #runner.run_with(gateway, &self.agents, input, context).await };
            if typed {
                quote! { #run.and_then(typed_output) }
            } else {
                run
            }
        };
        let (outcome_type, resumable_with_body, resume_with_body) = if typed {
            (
                quote! { ::respan::RunOutcome<Agent, Output> },
                quote! {
                    self.runner
                        .run_resumable_with(gateway, &self.agents, input, context)
                        .await?
                        .map_completed(typed_output)
                },
                quote! {
                    self.runner
                        .resume_with(gateway, &self.agents, state, context)
                        .await?
                        .map_completed(typed_output)
                },
            )
        } else {
            (
                quote! { ::respan::RunOutcome<Agent> },
                quote! {
                    self.runner
                        .run_resumable_with(gateway, &self.agents, input, context)
                        .await
                },
                quote! {
                    self.runner
                        .resume_with(gateway, &self.agents, state, context)
                        .await
                },
            )
        };
        let output_doc = if typed {
            " The final output is an [`Output`]: the variant of the agent that answered, with its output type."
        } else {
            " `last_agent` says which agent answered."
        };
        let stream_type = if typed {
            quote! { ::respan::RunStream<'a, Agent, Output> }
        } else {
            quote! { ::respan::RunStream<'a, Agent> }
        };
        let streamed_doc = if typed {
            quote! {
                ///
                /// The result in `RunEvent::Completed` (and from
                /// `into_result()`) carries an [`Output`], as [`Workflow::run`]'s does;
                /// an answer that is not its agent's output type is the stream's
                /// last item, an error.
            }
        } else {
            TokenStream::new()
        };
        let streamed_body = |runner: &TokenStream| {
            let run = quote! { #runner.run_streamed_with(gateway, &self.agents, input, context) };
            if typed {
                quote! { #run.map_completed(typed_output) }
            } else {
                run
            }
        };
        let (run_with_plain, run_with_in_session) =
            (run_with_body(&plain), run_with_body(&in_session));
        let (streamed_plain, streamed_in_session) =
            (streamed_body(&plain), streamed_body(&in_session));
        quote! {
            #[doc = #doc]
            ///
            /// `C` is the run's context, the state the workflow's tools read
            /// (`()` when none does).
            #[derive(Clone, Debug)]
            pub struct Workflow<C = ()> {
                agents: ::respan::AgentSet<Agent, C>,
                /// The settings every run starts from ([`Workflow::with_runner`]),
                /// its hooks behind one type whatever they are.
                runner: ::respan::Runner<::respan::SharedHooks<Agent, C>>,
            }

            #typed_output

            impl Workflow<()> {
                /// Builds the agents: tool definitions and instructions are prepared
                /// here, once, not per request. A workflow whose tools read a context
                /// is built with [`Workflow::with_context`] instead.
                #panics_doc
                pub fn new(vars: Vars) -> Self #new_bounds {
                    Self::with_context(vars)
                }

                /// Runs the workflow from its entry agent until an agent answers
                /// without a tool call.
                #[doc = #output_doc]
                pub async fn run(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    self.run_with(gateway, input, &()).await
                }

                /// Runs the workflow with streaming: the stream yields the run's
                /// events (text deltas, tool calls, handoffs) as the gateway sends them,
                /// ending with the result.
                #streamed_doc
                pub fn run_streamed<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> #stream_type {
                    self.run_streamed_with(gateway, input, &())
                }

                /// Runs the workflow in a session: the conversation so far is loaded
                /// before the run and its new messages are appended after it, so the
                /// next run continues it (see `respan::Runner::session`). The run
                /// starts at the entry agent.
                #[doc = #output_doc]
                pub async fn run_in_session(
                    &self,
                    gateway: &::respan::Gateway,
                    session: &dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    self.run_with_in_session(gateway, session, input, &()).await
                }

                /// Runs the workflow in a session with streaming; the new messages
                /// are appended when the run completes.
                #streamed_doc
                pub fn run_streamed_in_session<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    session: &'a dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> #stream_type {
                    self.run_streamed_with_in_session(gateway, session, input, &())
                }

                /// Runs the workflow like [`Workflow::run`], but a tool call that
                /// needs approval stops it: `RunOutcome::Interrupted` carries the
                /// `RunState` to approve or reject, then [`Workflow::resume`].
                pub async fn run_resumable(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    self.run_resumable_with(gateway, input, &()).await
                }

                /// Continues a run stopped for approval (here, or from the
                /// state's JSON in another process).
                pub async fn resume(
                    &self,
                    gateway: &::respan::Gateway,
                    state: ::respan::RunState<Agent>,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    self.resume_with(gateway, state, &()).await
                }
            }

            impl<C: ::core::marker::Send + ::core::marker::Sync + 'static> Workflow<C> {
                /// Builds the agents for runs whose context is `C`, the state the
                /// tools read (`Workflow::<AppState>::with_context(vars)`, then
                /// `run_with(.., &state)`); a tool that reads another context does
                /// not compile.
                #panics_doc
                pub fn with_context(vars: Vars) -> Self #context_bounds {
                    #build
                }

                /// Every run of this workflow from now on starts from `runner`'s
                /// settings: a trace context for its spans (`Runner::trace`), a
                /// different bound on model requests (`Runner::max_turns`), hooks
                /// that fire at each step (`Runner::hooks`), e.g.
                /// `Workflow::new(vars).with_runner(respan::Runner::new().trace(context))`.
                pub fn with_runner<H: ::respan::RunHooks<Agent, C> + 'static>(
                    mut self,
                    runner: ::respan::Runner<H>,
                ) -> Self {
                    self.runner = runner.shared_hooks();
                    self
                }

                /// Runs the workflow with a context its tools read, from its entry
                /// agent until an agent answers without a tool call.
                #[doc = #output_doc]
                pub async fn run_with(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    #run_with_plain
                }

                /// Runs the workflow with a context and streaming.
                #streamed_doc
                pub fn run_streamed_with<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &'a C,
                ) -> #stream_type {
                    #streamed_plain
                }

                /// Runs the workflow with a context in a session (see
                /// [`Workflow::run_in_session`]).
                #[doc = #output_doc]
                pub async fn run_with_in_session(
                    &self,
                    gateway: &::respan::Gateway,
                    session: &dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    #run_with_in_session
                }

                /// Runs the workflow with a context and streaming in a session.
                #streamed_doc
                pub fn run_streamed_with_in_session<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    session: &'a dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &'a C,
                ) -> #stream_type {
                    #streamed_in_session
                }

                /// [`Workflow::run_resumable`] with a context.
                pub async fn run_resumable_with(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    #resumable_with_body
                }

                /// [`Workflow::resume`] with a context.
                pub async fn resume_with(
                    &self,
                    gateway: &::respan::Gateway,
                    state: ::respan::RunState<Agent>,
                    context: &C,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    #resume_with_body
                }

                /// Changes one agent before running, e.g. switches its model:
                /// `Workflow::new(vars).with_agent(Agent::Billing, |agent| agent.model("gpt-4o"))`.
                pub fn with_agent(
                    mut self,
                    key: Agent,
                    change: impl ::core::ops::FnOnce(::respan::Agent<Agent, C>) -> ::respan::Agent<Agent, C>,
                ) -> Self {
                    self.agents.update(&key, change);
                    self
                }

                /// The runtime agents, e.g. to inspect one.
                pub fn agents(&self) -> &::respan::AgentSet<Agent, C> {
                    &self.agents
                }

                /// The runtime agents, to change one at run time (its model, its
                /// prompt placement, ...) before running.
                pub fn agents_mut(&mut self) -> &mut ::respan::AgentSet<Agent, C> {
                    &mut self.agents
                }
            }
        }
    }
}
