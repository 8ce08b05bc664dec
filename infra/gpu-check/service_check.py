"""The Inference service over HTTP on CUDA: starts the host with Inference:Device=cuda serving
stories260K-hf, signs requests like the gateway (CallerHeaders), and checks greedy completions
against the llama2.c reference, streaming, batch invariance of 16 concurrent requests, /metrics, and the
sampling extras: n with seeds, logit_bias, JSON mode, and echo's prompt logprobs."""
import base64, hashlib, hmac, json, os, subprocess, sys, time, uuid, urllib.request
from concurrent.futures import ThreadPoolExecutor
here = os.path.dirname(os.path.abspath(__file__))
out = os.environ.get("OUT", "/tmp/out")
secret = "gpu-check-secret"
port = 5191
base = f"http://127.0.0.1:{port}"
tenant = str(uuid.uuid4())
report = {}

def headers(method, path):
    ts = str(int(time.time()))
    fields = [tenant, "enterprise", "gpu-check", "inference", "", "enterprise", "salt-" + tenant, ts, method.upper(), path]
    sig = base64.b64encode(hmac.new(secret.encode(), "\n".join(fields).encode(), hashlib.sha256).digest()).decode()
    return {"X-Platform-Tenant": tenant, "X-Platform-Tier": "enterprise", "X-Platform-Principal": "gpu-check",
            "X-Platform-Scopes": "inference", "X-Platform-Role": "", "X-Platform-Priority": "enterprise",
            "X-Platform-Cache-Salt": "salt-" + tenant, "X-Platform-Timestamp": ts, "X-Platform-Signature": sig,
            "Content-Type": "application/json"}

def call(method, path, body=None, raw=False):
    req = urllib.request.Request(base + path, method=method, headers=headers(method, path),
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=120) as r:
        data = r.read().decode()
        return data if raw else json.loads(data)

env = dict(os.environ, ASPNETCORE_URLS=base, Platform__InternalSecret=secret, Inference__Device=os.environ.get("GPU_CHECK_DEVICE", "cuda"),
           Inference__Models__stories=f"{here}/models/stories260K-hf", Platform__ModelsDir="/tmp/gpu-models",
           Platform__DataDir="/tmp/gpu-data", DOTNET_NOLOGO="1")
os.makedirs("/tmp/gpu-models", exist_ok=True)
log = open(os.path.join(out, "inference.log"), "w")
host = subprocess.Popen([f"{here}/dotnet/dotnet", f"{here}/service/Platform.Services.Inference.dll"], env=env, stdout=log, stderr=subprocess.STDOUT)
try:
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/health/ready", timeout=2).read()
            break
        except Exception:
            if host.poll() is not None:
                raise SystemExit(f"host exited with {host.returncode}")
            time.sleep(0.5)
    report["models"] = call("GET", "/v1/models")
    ref = json.load(open(f"{here}/models/reference.json"))
    cases = [c for c in ref["cases"] if c["prompt"] and c["steps"] <= 200]
    def complete(case):
        return call("POST", "/v1/completions", {"model": "stories", "prompt": case["prompt"], "max_tokens": case["num_generated"], "temperature": 0})
    singles = [complete(c) for c in cases]
    report["reference"] = [{"prompt": c["prompt"], "match": (c["prompt"] + s["choices"][0]["text"]) == c["expected_text"],
                            "completion_tokens": s["usage"]["completion_tokens"]} for c, s in zip(cases, singles)]
    batch = [cases[i % len(cases)] for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(complete, batch))
    report["batch_invariance_16"] = all(t["choices"][0]["text"] == singles[i % len(cases)]["choices"][0]["text"] for i, t in enumerate(together))
    stream = call("POST", "/v1/chat/completions", {"model": "stories", "messages": [{"role": "user", "content": "Once upon a time"}],
                  "max_tokens": 32, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}, raw=True)
    events = [l[6:] for l in stream.splitlines() if l.startswith("data: ")]
    report["stream"] = {"events": len(events), "done": events[-1] == "[DONE]", "usage": json.loads(events[-2]).get("usage")}
    # n: seeded choice i equals a single request with seed + i.
    many = call("POST", "/v1/completions", {"model": "stories", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 1.0, "seed": 5, "n": 3, "ignore_eos": True})
    alone = [call("POST", "/v1/completions", {"model": "stories", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 1.0, "seed": 5 + i, "ignore_eos": True})
             for i in range(3)]
    report["n3_equal_seed_plus_index"] = [c["text"] == a["choices"][0]["text"] for c, a in zip(many["choices"], alone)]
    report["n3_completion_tokens"] = many["usage"]["completion_tokens"]
    # logit_bias: +100 on a token (280, "▁c" of " cat" in stories260K's vocabulary) makes every token it.
    forced = call("POST", "/v1/completions", {"model": "stories", "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0, "ignore_eos": True,
                                              "logit_bias": {"280": 100}, "logprobs": 1})
    report["logit_bias_forced_tokens"] = forced["choices"][0]["logprobs"]["tokens"]
    # JSON mode: a prefix of a JSON object, and with "}" (token 128) favoured, the whole object "{}".
    free = call("POST", "/v1/chat/completions", {"model": "stories", "messages": [{"role": "user", "content": "The cat as JSON"}], "max_tokens": 60,
                                                 "temperature": 0.7, "seed": 1, "response_format": {"type": "json_object"}})
    text = free["choices"][0]["message"]["content"]
    report["json_mode_free"] = {"finish": free["choices"][0]["finish_reason"], "starts_object": text.lstrip().startswith("{"), "text": text[:200]}
    closed = call("POST", "/v1/chat/completions", {"model": "stories", "messages": [{"role": "user", "content": "The cat as JSON"}], "max_tokens": 20,
                                                   "temperature": 0.7, "seed": 1, "response_format": {"type": "json_object"}, "logit_bias": {"128": 100}})
    report["json_mode_closed"] = {"finish": closed["choices"][0]["finish_reason"], "parses_as_object": isinstance(json.loads(closed["choices"][0]["message"]["content"]), dict)}
    # echo + logprobs with max_tokens 0 scores a prompt: a reference prompt plus its first 8 greedy tokens, scored as a
    # prompt, gives those 8 tokens the logprobs they got when generated (prefill path against decode path).
    first = cases[0]
    generated = call("POST", "/v1/completions", {"model": "stories", "prompt": first["prompt_token_ids"], "max_tokens": 8, "temperature": 0,
                                                 "ignore_eos": True, "logprobs": 0})
    scored = call("POST", "/v1/completions", {"model": "stories", "prompt": first["prompt_token_ids"] + first["generated_token_ids"][:8],
                                              "max_tokens": 0, "echo": True, "logprobs": 0})
    as_generated = generated["choices"][0]["logprobs"]["token_logprobs"]
    as_prompt = scored["choices"][0]["logprobs"]["token_logprobs"]
    report["echo_prompt_logprobs"] = {
        "tokens": len(as_prompt), "expected_tokens": len(first["prompt_token_ids"]) + 8, "first_is_null": as_prompt[0] is None,
        "completion_tokens": scored["usage"]["completion_tokens"],
        "max_abs_diff_vs_generated": max(abs(a - b) for a, b in zip(as_prompt[-8:], as_generated))}
    metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    report["metrics_lines"] = [l for l in metrics.splitlines() if l.startswith("platform_inference") and "stories" in l][:12]
finally:
    host.terminate()
    try:
        host.wait(20)
    except subprocess.TimeoutExpired:
        host.kill()
    report["host_exit"] = host.returncode
    json.dump(report, open(os.path.join(out, "service_report.json"), "w"), indent=1)
    print(json.dumps(report, indent=1))
