"""The Inference service over HTTP on CUDA: starts the host with Inference:Device=cuda serving
stories260K-hf, signs requests like the gateway (CallerHeaders), and checks greedy completions
against the llama2.c reference, streaming, batch invariance of 16 concurrent requests, /metrics."""
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
