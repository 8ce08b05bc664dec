using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.FineTune.Tests;

/// <summary>Small helpers over the OpenAI-shaped API.</summary>
internal static class Api
{
    public static async Task<HttpResponseMessage> UploadAsync(this HttpClient client, string jsonl, string filename = "train.jsonl",
        string purpose = "fine-tune", string? model = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", filename);
        form.Add(new StringContent(purpose), "purpose");
        if (model is not null)
        {
            form.Add(new StringContent(model), "model");
        }
        return await client.PostAsync("/v1/files", form);
    }

    public static async Task<string> UploadOkAsync(this HttpClient client, string jsonl)
    {
        var response = await client.UploadAsync(jsonl);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    public static Task<HttpResponseMessage> CreateJobAsync(this HttpClient client, object request) =>
        client.PostAsJsonAsync("/v1/fine_tuning/jobs", request);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path) =>
        await (await client.GetAsync(path)).JsonAsync(HttpStatusCode.OK);

    /// <summary>Asserts the OpenAI error shape and returns the error object.</summary>
    public static async Task<JsonElement> ErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string? param = null)
    {
        var error = (await response.JsonAsync(expected)).GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
        return error;
    }

    /// <summary>Every event of a job, oldest first.</summary>
    public static async Task<List<JsonElement>> EventsAsync(this HttpClient client, string jobId)
    {
        var page = await client.GetJsonAsync($"/v1/fine_tuning/jobs/{jobId}/events?limit=1000");
        return page.GetProperty("data").EnumerateArray().Reverse().ToList();
    }

    public static async Task<JsonElement> WaitForStatusAsync(this HttpClient client, string jobId, Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var job = await client.GetJsonAsync($"/v1/fine_tuning/jobs/{jobId}");
            if (done(job.GetProperty("status").GetString()!))
            {
                return job;
            }
            await Task.Delay(100, cts.Token);
        }
    }
}
