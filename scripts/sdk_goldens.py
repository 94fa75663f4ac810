"""Record what the Python Agents SDK sends for the scenarios of issue #19 (agents as
tools, handoff options), beside the goldens of ../shared/agents-sdk/capture.py and
with the same scripted server.

    python3 -m venv v && v/bin/pip install "openai-agents==0.24.0"
    v/bin/python scripts/sdk_goldens.py respan-runtime/tests/golden

Each scenario writes `<out>/<scenario>/request-N.json` (path, headers, body) and
`result.json` (what the SDK returned).
"""
import asyncio, json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = sys.argv[1]
LOG = []     # every request: path, headers, body
SCRIPT = []  # the answers, in order


CALLS = [0]  # call ids are unique within a run (the SDK refuses a reused one)


def completion(content=None, tool_calls=None, finish="stop"):
    msg = {"role": "assistant", "content": content}
    if tool_calls:
        msg["tool_calls"] = []
        for n, a in tool_calls:
            msg["tool_calls"].append({"id": f"call_{CALLS[0]}", "type": "function",
                                      "function": {"name": n, "arguments": a}})
            CALLS[0] += 1
        finish = "tool_calls"
    return {"id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        LOG.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        resp = SCRIPT.pop(0) if SCRIPT else completion("(script empty)")
        data = json.dumps(resp).encode()
        self.send_response(200); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
PORT = srv.server_address[1]

from openai import AsyncOpenAI
from pydantic import BaseModel
from agents import (Agent, Runner, function_tool, handoff, set_default_openai_client,
                    set_default_openai_api, set_tracing_disabled)
from agents.extensions import handoff_filters

set_default_openai_client(AsyncOpenAI(base_url=f"http://127.0.0.1:{PORT}/api", api_key="sk-test-key"))
set_default_openai_api("chat_completions")
set_tracing_disabled(True)


def dump(name, extra):
    d = os.path.join(OUT, name); os.makedirs(d, exist_ok=True)
    for i, r in enumerate(LOG):
        keep = {k: v for k, v in r["headers"].items() if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
        with open(os.path.join(d, f"request-{i+1}.json"), "w") as f:
            json.dump({"path": r["path"], "headers": keep, "body": r["body"]}, f, indent=2, sort_keys=True)
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(extra, f, indent=2, sort_keys=True, default=str)
    LOG.clear(); SCRIPT.clear(); CALLS[0] = 0


@function_tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: The city name.
    """
    return f"Sunny in {city}"


class Notes(BaseModel):
    topic: str
    facts: list[str]


class Escalation(BaseModel):
    reason: str
    priority: int


def billing():
    return Agent(name="Billing Agent", instructions="Handle billing and payment questions.",
                 handoff_description="Billing and payment questions", model="gpt-4o")


def technical():
    return Agent(name="Technical Agent", instructions="Handle technical support questions.",
                 handoff_description="Technical support and API problems", model="gpt-4o")


def usage(r):
    u = r.context_wrapper.usage
    return {"requests": u.requests, "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens, "total_tokens": u.total_tokens}


async def main():
    # j. agents as tools: a manager calls a researcher (named tool) and a writer
    # (the SDK's default name and description), then answers.
    researcher = Agent(name="Researcher", instructions="Research the topic and list the facts.", model="gpt-4o")
    writer = Agent(name="Writer Agent", instructions="Write one paragraph from the notes.", model="gpt-4o")
    manager = Agent(name="Manager", instructions="Use your tools, then answer.", model="gpt-4o",
                    tools=[researcher.as_tool(tool_name="research", tool_description="Research a topic."),
                           writer.as_tool(tool_name=None, tool_description=None)])
    SCRIPT.append(completion(tool_calls=[("research", '{"input": "Rust async"}')]))
    SCRIPT.append(completion("Rust async is built on futures."))
    SCRIPT.append(completion(tool_calls=[("writer_agent", '{"input": "Rust async is built on futures."}')]))
    SCRIPT.append(completion("Rust's async model rests on futures."))
    SCRIPT.append(completion("Here is the paragraph."))
    r = await Runner.run(manager, "Write about Rust async.")
    dump("j-agent-as-tool", {"final_output": r.final_output, "last_agent": r.last_agent.name,
                             "new_items": [type(i).__name__ for i in r.new_items],
                             "usage": usage(r)})

    # j2. an agent with a structured output used as a tool: what its result looks like.
    notes = Agent(name="Notes", instructions="Take notes.", model="gpt-4o", output_type=Notes)
    manager = Agent(name="Manager", instructions="Use your tools, then answer.", model="gpt-4o",
                    tools=[notes.as_tool(tool_name="take_notes", tool_description="Take notes on a topic.")])
    SCRIPT.append(completion(tool_calls=[("take_notes", '{"input": "Rust"}')]))
    SCRIPT.append(completion('{"topic": "Rust", "facts": ["fast", "safe"]}'))
    SCRIPT.append(completion("Rust is fast and safe."))
    r = await Runner.run(manager, "Notes on Rust?")
    dump("j2-structured-agent-as-tool", {"final_output": r.final_output, "usage": usage(r)})

    # k. handoff with input_filter=remove_all_tools, after a tool call.
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o", tools=[get_weather],
                   handoffs=[billing(), handoff(technical(), input_filter=handoff_filters.remove_all_tools)])
    SCRIPT.append(completion(tool_calls=[("get_weather", '{"city": "Paris"}')]))
    SCRIPT.append(completion(tool_calls=[("transfer_to_technical_agent", "{}")]))
    SCRIPT.append(completion("Check your API key."))
    r = await Runner.run(triage, "Weather in Paris, and my API fails.")
    dump("k-handoff-remove-all-tools", {"final_output": r.final_output, "last_agent": r.last_agent.name,
                                        "new_items": [type(i).__name__ for i in r.new_items],
                                        "to_input_list": r.to_input_list()})

    # k2. handoff with nest_handoff_history=True, after a tool call.
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o", tools=[get_weather],
                   handoffs=[billing(), handoff(technical(), nest_handoff_history=True)])
    SCRIPT.append(completion(tool_calls=[("get_weather", '{"city": "Paris"}')]))
    SCRIPT.append(completion(tool_calls=[("transfer_to_technical_agent", "{}")]))
    SCRIPT.append(completion("Check your API key."))
    r = await Runner.run(triage, "Weather in Paris, and my API fails.")
    dump("k2-handoff-nest-history", {"final_output": r.final_output, "last_agent": r.last_agent.name,
                                     "new_items": [type(i).__name__ for i in r.new_items],
                                     "to_input_list": r.to_input_list()})

    # k3. nest_handoff_history when the model says something before each call
    # (an assistant message in an earlier turn and in the handoff's turn), and a
    # user message over two lines.
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o", tools=[get_weather],
                   handoffs=[billing(), handoff(technical(), nest_handoff_history=True)])
    SCRIPT.append(completion("Checking the weather first.", tool_calls=[("get_weather", '{"city": "Paris"}')]))
    SCRIPT.append(completion("Passing you to technical support.", tool_calls=[("transfer_to_technical_agent", "{}")]))
    SCRIPT.append(completion("Check your API key."))
    r = await Runner.run(triage, "Weather in Paris?\nAlso my API fails.")
    dump("k3-nest-history-with-messages", {"final_output": r.final_output, "last_agent": r.last_agent.name,
                                           "new_items": [type(i).__name__ for i in r.new_items]})

    # k4. remove_all_tools when the model says something before the calls.
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o", tools=[get_weather],
                   handoffs=[billing(), handoff(technical(), input_filter=handoff_filters.remove_all_tools)])
    SCRIPT.append(completion("Checking the weather first.", tool_calls=[("get_weather", '{"city": "Paris"}')]))
    SCRIPT.append(completion("Passing you to technical support.", tool_calls=[("transfer_to_technical_agent", "{}")]))
    SCRIPT.append(completion("Check your API key."))
    r = await Runner.run(triage, "Weather in Paris, and my API fails.")
    dump("k4-remove-all-tools-with-messages", {"final_output": r.final_output, "last_agent": r.last_agent.name})

    # k5. two nested handoffs in a row: the second summary flattens the first.
    technical2 = technical()
    billing2 = billing()
    technical2.handoffs = [handoff(billing2, nest_handoff_history=True)]
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o", handoffs=[handoff(technical2, nest_handoff_history=True)])
    SCRIPT.append(completion(tool_calls=[("transfer_to_technical_agent", "{}")]))
    SCRIPT.append(completion(tool_calls=[("transfer_to_billing_agent", "{}")]))
    SCRIPT.append(completion("Refunded."))
    r = await Runner.run(triage, "My API fails and I want a refund.")
    dump("k5-nest-history-twice", {"final_output": r.final_output, "last_agent": r.last_agent.name})

    # l. typed handoff input, given to on_handoff with the context.
    seen = []
    async def on_escalate(ctx, data: Escalation):
        seen.append({"context": ctx.context, "reason": data.reason, "priority": data.priority})
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o",
                   handoffs=[handoff(billing(), input_type=Escalation, on_handoff=on_escalate), technical()])
    SCRIPT.append(completion(tool_calls=[("transfer_to_billing_agent", '{"reason": "refund", "priority": 2}')]))
    SCRIPT.append(completion("Your refund is on its way."))
    r = await Runner.run(triage, "I want a refund.", context={"customer": "ada"})
    dump("l-handoff-input-type", {"final_output": r.final_output, "last_agent": r.last_agent.name,
                                  "on_handoff": seen})

    # m. a disabled handoff is not offered.
    triage = Agent(name="Triage Agent", instructions="Route to the appropriate agent based on the question.",
                   model="gpt-4o",
                   handoffs=[handoff(billing(), is_enabled=False), technical()])
    SCRIPT.append(completion("I can only help with technical questions."))
    r = await Runner.run(triage, "I want a refund.")
    dump("m-handoff-disabled", {"final_output": r.final_output, "last_agent": r.last_agent.name})


asyncio.run(main())
