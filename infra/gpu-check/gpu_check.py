"""Device check for the TorchSharp engine on CUDA: runs the platform CLI (carried .NET runtime +
app, python's CUDA LibTorch on the library path) and writes what it saw to $OUT."""
import json, os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
out = os.environ.get("OUT", "/tmp/out")
report = {"steps": {}}
def run(name, args, timeout, env_extra=None):
    t = time.time()
    env = dict(os.environ)
    env.update(env_extra or {})
    try:
        p = subprocess.run([f"{here}/dotnet/dotnet", f"{here}/app/platform.dll"] + args, capture_output=True, text=True, timeout=timeout, env=env)
        rc, so, se = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, so, se = "timeout", (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), ""
    secs = round(time.time() - t, 1)
    print(f"== {name}: rc={rc} {secs}s\n{so[-3000:]}\n{se[-3000:]}", flush=True)
    report["steps"][name] = {"rc": rc, "seconds": secs, "stdout": so[-20000:], "stderr": se[-4000:]}
    return rc, so
def save():
    with open(os.path.join(out, "gpu_report.json"), "w") as f:
        json.dump(report, f, indent=1)

models = f"{here}/models"
ref = json.load(open(f"{models}/reference.json"))
matches = []
for case in ref["cases"]:
    if not case["prompt"] or case["steps"] > 200:
        continue
    n = case["num_generated"]
    rc, so = run(f"generate:{case['prompt']}", ["generate", "--model", f"{models}/stories260K-hf", "--prompt", case["prompt"],
                 "--max-tokens", str(n), "--temperature", "0", "--device", "cuda", "--json"], 120)
    ok = False
    if rc == 0:
        got = json.loads(so.strip().splitlines()[-1])
        exp = case["generated_token_ids"]
        ok = got["token_ids"] == exp[:len(got["token_ids"])] and len(got["token_ids"]) > 0 and got["prompt_token_ids"] == case["prompt_token_ids"]
        matches.append({"prompt": case["prompt"], "match": ok, "got": len(got["token_ids"]), "expected": len(exp), "tps": got["tokens_per_second"]})
    else:
        matches.append({"prompt": case["prompt"], "match": False, "rc": rc})
        if len(matches) == 1:
            break
    save()
report["reference_matches"] = matches
save()
# GPU_CHECK_STEPS=serving-bench (a comma list) runs only those benchmarks after the references, to spare device time.
steps = set(filter(None, os.environ.get("GPU_CHECK_STEPS", "").split(",")))
def wanted(step):
    return not steps or step in steps
if all(m["match"] for m in matches):
    if wanted("serving-bench"):
        run("serving-bench:cuda", ["serving-bench", "--device", "cuda", "--tokenizer", f"{models}/llama2-tokenizer", "--json"], 240)
        save()
if all(m["match"] for m in matches) and not steps:
    run("engine-bench:cuda", ["engine-bench", "--random", "110m", "--device", "cuda", "--json"], 150)
    save()
    run("finetune-bench:cuda", ["finetune-bench", "--random", "110m", "--device", "cuda", "--steps", "5", "--json"], 120)
    save()
    run("engine-bench:cpu16", ["engine-bench", "--random", "110m", "--json"], 120)
    save()
    if os.environ.get("GPU_CHECK_MORE"):
        run("serving-bench:cuda:48", ["serving-bench", "--device", "cuda", "--mixed-requests", "48", "--tokenizer", f"{models}/llama2-tokenizer", "--json"], 300)
        save()
