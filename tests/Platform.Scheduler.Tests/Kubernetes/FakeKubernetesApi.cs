using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Scheduler.Tests.Kubernetes;

/// <summary>A request the fake API server received.</summary>
public sealed record ApiRequest(string Method, string Path, string Query, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// A tiny Kubernetes API server on a free loopback port, answering from the JSON files in
/// Kubernetes/Responses (written in the API server's response shapes; no cluster can run here). The
/// real KubernetesClient talks to it over HTTP, so its serialization is what gets tested. Creates are
/// answered like the API server does: the posted object with server fields added.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, string> _names;

    private FakeKubernetesApi(WebApplication app, Dictionary<string, string> names)
    {
        _app = app;
        _names = names;
    }

    /// <summary>Every request, in order.</summary>
    public ConcurrentQueue<ApiRequest> Requests { get; } = new();

    /// <summary>Overrides the answer to a request; return null for the default.</summary>
    public Func<ApiRequest, (int Status, string Body)?> Override { get; set; } = _ => null;

    /// <summary>The base URL.</summary>
    public string Url => _app.Urls.First();

    /// <summary>Starts it. <paramref name="names"/> fills <c>{{name:ID}}</c>, <c>{{hash:ID}}</c> in the fixtures.</summary>
    public static async Task<FakeKubernetesApi> StartAsync(Dictionary<string, string> names)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new FakeKubernetesApi(app, names);
        app.Run(api.HandleAsync);
        await app.StartAsync();
        return api;
    }

    /// <summary>A response file with its placeholders filled.</summary>
    public string Fixture(string file, params (string Key, string Value)[] extra)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kubernetes", "Responses", file));
        foreach (var (key, value) in _names.Concat(extra.Select(e => KeyValuePair.Create(e.Key, e.Value))))
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }
        return text;
    }

    public IEnumerable<ApiRequest> Sent(string method) => Requests.Where(r => r.Method == method);

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var request = new ApiRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", await reader.ReadToEndAsync());
        Requests.Enqueue(request);
        var (status, body) = Override(request) ?? Default(request);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    private (int, string) Default(ApiRequest r)
    {
        var m = System.Text.RegularExpressions.Regex.Match(r.Path, "^/apis?(?:/batch)?/v1/namespaces/[^/]+/(pods|jobs)(?:/([^/]+))?$");
        var (resource, name) = m.Success ? (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null) : ("", null);
        return (r.Method, resource, name) switch
        {
            ("GET", "pods", null) => (200, Fixture("pods-list.json")),
            ("GET", "jobs", null) => (200, Fixture("jobs-list.json")),
            ("POST", "pods" or "jobs", null) => (201, Created(r.Json)),
            ("DELETE", "pods", { } pod) => DeletedPod(pod),
            ("DELETE", "jobs", { } job) => (200, Fixture("status-job-deleted.json", ("deleted", job))),
            _ => (404, Fixture("status-not-found.json", ("deleted", r.Path))),
        };
    }

    private static string Created(JsonNode body)
    {
        var metadata = body["metadata"]!.AsObject();
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["resourceVersion"] = "4817300";
        metadata["creationTimestamp"] = "2026-11-25T09:30:00Z";
        body["status"] = body["kind"]!.GetValue<string>() == "Pod" ? new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" } : new JsonObject();
        return body.ToJsonString();
    }

    // The API server answers a pod DELETE with the pod, now carrying its deletionTimestamp.
    private (int, string) DeletedPod(string name)
    {
        var pods = JsonNode.Parse(Fixture("pods-list.json"))!["items"]!.AsArray();
        var pod = pods.FirstOrDefault(p => p!["metadata"]!["name"]!.GetValue<string>() == name);
        if (pod is null)
        {
            return (404, Fixture("status-not-found.json", ("deleted", name)));
        }
        var copy = pod.DeepClone();
        copy["metadata"]!["deletionTimestamp"] = "2026-11-25T09:30:00Z";
        copy["kind"] = "Pod";
        copy["apiVersion"] = "v1";
        return (200, copy.ToJsonString());
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
