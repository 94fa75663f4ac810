"""The Python side of the benchmarks (see BENCHMARKS.md): the OpenAI Agents SDK
(`openai-agents`) and a raw loop on the `openai` client, on the same scenarios
and the same fake gateway (fakegw) as the Rust drivers.

    python sdk_bench.py PORT cpu RUNS [SCENARIO|all]   # one JSON line per scenario and client
    python sdk_bench.py PORT support                   # one support run (startup figure)

CPU is the process's own (time.process_time); the gateway is another process.
Started from ../shared/agents-sdk/bench.py."""
import asyncio
import json
import sys
import time

t0 = time.perf_counter()
from openai import AsyncOpenAI  # noqa: E402
from agents import (  # noqa: E402
    Agent,
    Runner,
    function_tool,
    set_default_openai_api,
    set_default_openai_client,
    set_tracing_disabled,
)

IMPORT_S = time.perf_counter() - t0

PORT = int(sys.argv[1])
QUESTION = "I'm having trouble connecting to the API."
PAGE_BYTES = 4096
_LINE = "Respan routes each request to the model you name, logs it, and retries on 429. "
PAGE = (_LINE * (PAGE_BYTES // len(_LINE) + 1))[:PAGE_BYTES]

client = AsyncOpenAI(base_url=f"http://127.0.0.1:{PORT}/api", api_key="bench", max_retries=0)
set_default_openai_client(client)
set_default_openai_api("chat_completions")
set_tracing_disabled(True)


@function_tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny, 22 °C in {city}."


@function_tool
def fetch_page(page: int) -> str:
    """Fetches one page of the document."""
    return PAGE


def support_agents(product=None):
    billing = Agent(name="Billing Agent", instructions="Handle billing and payment questions.",
                    handoff_description="Billing and payment questions", model="gpt-4o")
    technical = Agent(name="Technical Agent",
                      instructions=(f"Handle technical support questions for {product}." if product
                                    else "Handle technical support questions."),
                      handoff_description="Technical support and API problems", model="gpt-4o")
    return Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                 handoffs=[billing, technical], model="gpt-4o")


SDK_AGENTS = {
    "one-agent": Agent(name="Assistant", instructions="You are a helpful assistant.", model="gpt-4o"),
    "handoff": support_agents(),
    "tool": Agent(name="Weather Agent", instructions="Answer questions about the weather.",
                  tools=[get_weather], model="gpt-4o"),
    "streamed-handoff": support_agents(),
    "long-loop": Agent(name="Researcher", instructions="Read the document page by page, then answer.",
                       tools=[fetch_page], model="gpt-4o"),
}
LAST_AGENT = {"one-agent": "Assistant", "handoff": "Technical Agent", "tool": "Weather Agent",
              "streamed-handoff": "Technical Agent", "long-loop": "Researcher"}


async def sdk_run(scenario):
    agent = SDK_AGENTS[scenario]
    if scenario == "streamed-handoff":
        result = Runner.run_streamed(agent, QUESTION)
        async for _ in result.stream_events():
            pass
    else:
        result = await Runner.run(agent, QUESTION, max_turns=60)
    assert result.last_agent.name == LAST_AGENT[scenario], result.last_agent.name


# The raw loop: the same agents as plain chat-completions requests.
EMPTY = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def fn(name, description, parameters):
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": parameters, "strict": True}}


def handoff(name, description):
    return fn("transfer_to_" + name.lower().replace(" ", "_"),
              f"Handoff to the {name} agent to handle the request. {description}", EMPTY)


def weather(args):
    return f"Sunny, 22 °C in {args['city']}."


def page(_args):
    return PAGE


TRIAGE = [
    {"system": "Route to the appropriate agent based on the question.",
     "tools": [handoff("Billing Agent", "Billing and payment questions"),
               handoff("Technical Agent", "Technical support and API problems")],
     "calls": {"transfer_to_billing_agent": 1, "transfer_to_technical_agent": 2}},
    {"system": "Handle billing and payment questions.", "name": "Billing Agent"},
    {"system": "Handle technical support questions.", "name": "Technical Agent"},
]
RAW_AGENTS = {
    "one-agent": [{"system": "You are a helpful assistant."}],
    "handoff": TRIAGE,
    "streamed-handoff": TRIAGE,
    "tool": [{"system": "Answer questions about the weather.",
              "tools": [fn("get_weather", "Current weather in a city.",
                           {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"], "additionalProperties": False})],
              "calls": {"get_weather": weather}}],
    "long-loop": [{"system": "Read the document page by page, then answer.",
                   "tools": [fn("fetch_page", "Fetches one page of the document.",
                                {"type": "object", "properties": {"page": {"type": "integer"}},
                                 "required": ["page"], "additionalProperties": False})],
                   "calls": {"fetch_page": page}}],
}


async def read_stream(stream):
    content, calls = None, []
    async for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            content = (content or "") + delta.content
        for part in delta.tool_calls or []:
            while len(calls) <= part.index:
                calls.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
            call = calls[part.index]
            if part.id:
                call["id"] = part.id
            if part.function and part.function.name:
                call["function"]["name"] += part.function.name
            if part.function and part.function.arguments:
                call["function"]["arguments"] += part.function.arguments
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return message


async def raw_run(scenario):
    agents = RAW_AGENTS[scenario]
    stream = scenario == "streamed-handoff"
    history = [{"role": "user", "content": QUESTION}]
    current = 0
    for _ in range(100):
        agent = agents[current]
        kwargs = {"tools": agent["tools"]} if "tools" in agent else {}
        messages = [{"role": "system", "content": agent["system"]}] + history
        if stream:
            response = await client.chat.completions.create(
                model="gpt-4o", messages=messages, stream=True,
                stream_options={"include_usage": True}, **kwargs)
            message = await read_stream(response)
        else:
            response = await client.chat.completions.create(model="gpt-4o", messages=messages, **kwargs)
            message = response.choices[0].message.model_dump(exclude_none=True)
            message.setdefault("content", None)
        history.append(message)
        calls = message.get("tool_calls") or []
        if not calls:
            assert message["content"]
            return
        for call in calls:
            action = agent["calls"][call["function"]["name"]]
            if isinstance(action, int):
                current = action
                content = json.dumps({"assistant": agents[action]["name"]})
            else:
                content = action(json.loads(call["function"]["arguments"]))
            history.append({"role": "tool", "tool_call_id": call["id"], "content": content})
    raise RuntimeError("no answer within 100 turns")


async def measure(fn, scenario, runs):
    for _ in range(max(1, runs // 10)):
        await fn(scenario)  # warm up
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        await fn(scenario)
    return time.perf_counter() - wall, time.process_time() - cpu


async def cpu(runs, which):
    scenarios = list(SDK_AGENTS) if which == "all" else [which]
    for scenario in scenarios:
        n = max(2, runs // 25) if scenario == "long-loop" else runs
        for name, fn in (("openai-raw", raw_run), ("agents-sdk", sdk_run)):
            wall, cpu_s = await measure(fn, scenario, n)
            print(json.dumps({"kind": "cpu", "scenario": scenario, "client": name, "runs": n,
                              "cpu_us_per_run": 1e6 * cpu_s / n, "wall_us_per_run": 1e6 * wall / n,
                              "import_agents_s": IMPORT_S}), flush=True)


def main():
    command = sys.argv[2]
    if command == "cpu":
        asyncio.run(cpu(int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "all"))
    elif command == "support":
        # examples/support.rs: the support workflow, `product` = Respan.
        async def support():
            result = await Runner.run(support_agents("Respan"), QUESTION)
            print(result.final_output)
        asyncio.run(support())
    else:
        sys.exit(f"unknown command {command}; expected cpu or support")


main()
